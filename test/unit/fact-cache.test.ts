/**
 * The fact cache across runs (fact_caching jsonfile): its settings as ansible-core reads them, the store's files,
 * and the real CLI run twice (then with --flush-cache) against localhost over the local connection, reading the
 * cache files it leaves. The plays only set and read variables (gathering reads this machine's facts, nothing more).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { factCacheSettings, FactCacheStore } from '../../src/engine/fact-cache.js';
import { iniSection } from '../../src/config/ansible-cfg.js';
import { tsplay } from '../harness/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'tsplay-fc-'));

describe('fact cache settings', () => {
  it("ansible-core's defaults, ansible.cfg [defaults], and the environment over the file", () => {
    const d = tmp();
    const cfg = join(d, 'ansible.cfg');
    expect(factCacheSettings({}, undefined)).toEqual({ plugin: 'memory', connection: undefined, prefix: '', timeout: 86400 });
    writeFileSync(
      cfg,
      '[defaults]\nfact_caching = jsonfile\nfact_caching_connection = /tmp/x ; a comment\nfact_caching_timeout: 60\n[other]\nfact_caching = redis\n',
    );
    expect(factCacheSettings({}, cfg)).toEqual({ plugin: 'jsonfile', connection: '/tmp/x', prefix: '', timeout: 60 });
    expect(factCacheSettings({ ANSIBLE_CACHE_PLUGIN_CONNECTION: '/tmp/y', ANSIBLE_CACHE_PLUGIN_PREFIX: 'p_', ANSIBLE_CACHE_PLUGIN_TIMEOUT: '0' }, cfg)).toEqual(
      {
        plugin: 'jsonfile',
        connection: '/tmp/y',
        prefix: 'p_',
        timeout: 0,
      },
    );
    expect(() => factCacheSettings({ ANSIBLE_CACHE_PLUGIN_TIMEOUT: 'soon' }, undefined)).toThrow(/not a whole number/);
    expect(iniSection('# c\n[defaults]\nKey = v\n', 'defaults')).toEqual({ key: 'v' });
  });

  it("jsonfile needs a directory; other plugins are ansible-core's load error", () => {
    expect(() => FactCacheStore.open({ plugin: 'jsonfile', prefix: '', timeout: 0 })).toThrow(/requires the 'fact_caching_connection'/);
    expect(() => FactCacheStore.open({ plugin: 'redis', prefix: '', timeout: 0 })).toThrow('Unable to load the facts cache plugin (redis).');
    expect(FactCacheStore.open({ plugin: 'memory', prefix: '', timeout: 0 }).persistent).toBe(false);
  });
});

describe('the jsonfile store', () => {
  it('one file per host (prefix + name, mode 0600), sorted keys and indent 4 as Python json.dumps, merged one level, expired after the timeout', () => {
    const dir = join(tmp(), 'cache');
    const s = FactCacheStore.open({ plugin: 'ansible.builtin.jsonfile', connection: dir, prefix: 'pre_', timeout: 3600 });
    s.update('h1', { b: 1, a: { z: 1, y: [1, 'x'] } });
    s.update('h1', { c: true });
    const f = join(dir, 'pre_h1');
    expect(readFileSync(f, 'utf8')).toBe(
      '{\n    "a": {\n        "y": [\n            1,\n            "x"\n        ],\n        "z": 1\n    },\n    "b": 1,\n    "c": true\n}',
    );
    expect(statSync(f).mode & 0o777).toBe(0o600);
    // a new store (the next run) reads the file, unless it is older than the timeout
    expect(FactCacheStore.open({ plugin: 'jsonfile', connection: dir, prefix: 'pre_', timeout: 3600 }).get('h1')).toEqual({
      a: { z: 1, y: [1, 'x'] },
      b: 1,
      c: true,
    });
    const old = Date.now() / 1000 - 7200;
    utimesSync(f, old, old);
    expect(FactCacheStore.open({ plugin: 'jsonfile', connection: dir, prefix: 'pre_', timeout: 3600 }).get('h1')).toBeUndefined();
    expect(FactCacheStore.open({ plugin: 'jsonfile', connection: dir, prefix: 'pre_', timeout: 0 }).get('h1')).toBeDefined();
    s.flush('h1');
    expect(existsSync(f)).toBe(false);
  });
});

describe('tsplay run with a jsonfile fact cache', () => {
  const play = (tasks: string, gather = false) => `- hosts: localhost\n  gather_facts: ${gather}\n  tasks:\n${tasks}`;

  it('set_fact cacheable and gathered facts are kept for the next run (not the others); --flush-cache empties it', async () => {
    const d = tmp();
    const cache = join(d, 'cache');
    writeFileSync(join(d, 'ansible.cfg'), `[defaults]\nfact_caching = jsonfile\nfact_caching_connection = ${cache}\n`);
    writeFileSync(
      join(d, 'one.yml'),
      play(
        `    - set_fact: { cached_one: from_run_one, cacheable: true }\n    - set_fact: { not_cached: nope }\n    - set_fact: "cacheable=no also_not=x"\n`,
        true,
      ),
    );
    writeFileSync(
      join(d, 'two.yml'),
      play(
        `    - assert:\n        that:\n          - cached_one == 'from_run_one'\n          - ansible_facts.cached_one == 'from_run_one'\n          - not_cached is undefined\n          - also_not is undefined\n          - ansible_distribution is defined\n`,
      ),
    );
    writeFileSync(join(d, 'three.yml'), play(`    - assert: { that: [cached_one is undefined, ansible_distribution is undefined] }\n`));
    const env = { ANSIBLE_CONFIG: join(d, 'ansible.cfg') };
    const args = (pb: string, ...more: string[]) => ['run', '-i', 'localhost,', '-c', 'local', join(d, pb), ...more];
    const one = await tsplay(args('one.yml'), { env, cwd: d });
    expect(one.code, one.all).toBe(0);
    const file = join(cache, 'localhost');
    const cached = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(cached['cached_one']).toBe('from_run_one');
    expect(cached['module_setup']).toBe(true);
    expect(typeof cached['ansible_distribution']).toBe('string');
    expect(Object.keys(cached).filter((k) => !k.startsWith('ansible_'))).toEqual(['cached_one', 'module_setup']);
    const two = await tsplay(args('two.yml'), { env, cwd: d });
    expect(two.code, two.all).toBe(0);
    const three = await tsplay(args('three.yml', '--flush-cache'), { env, cwd: d });
    expect(three.code, three.all).toBe(0);
    expect(existsSync(file)).toBe(false);
  }, 60_000);

  // ansible-playbook reads what tsplay wrote, tsplay what ansible-playbook wrote (skipped when ansible-playbook is not installed)
  const ansible = spawnSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!ansible)(
    'a cache shared with ansible-playbook (ANSIBLE_CACHE_PLUGIN_* in the environment)',
    async () => {
      const d = tmp();
      const env = {
        ANSIBLE_CACHE_PLUGIN: 'jsonfile',
        ANSIBLE_CACHE_PLUGIN_CONNECTION: join(d, 'cache'),
        ANSIBLE_CACHE_PLUGIN_PREFIX: 'p_',
        ANSIBLE_CONFIG: join(d, 'none.cfg'),
      };
      writeFileSync(join(d, 'a.yml'), play(`    - set_fact: { from_tsplay: 1, cacheable: true }\n`));
      writeFileSync(join(d, 'b.yml'), play(`    - assert: { that: [from_tsplay == 1] }\n    - set_fact: { from_ansible: 2, cacheable: true }\n`));
      writeFileSync(join(d, 'c.yml'), play(`    - assert: { that: [from_tsplay == 1, from_ansible == 2] }\n`));
      expect((await tsplay(['run', '-i', 'localhost,', '-c', 'local', join(d, 'a.yml')], { env, cwd: d })).code).toBe(0);
      const b = spawnSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(d, 'b.yml')], {
        cwd: d,
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
      expect(b.status, b.stdout + b.stderr).toBe(0);
      const c = await tsplay(['run', '-i', 'localhost,', '-c', 'local', join(d, 'c.yml')], { env, cwd: d });
      expect(c.code, c.all).toBe(0);
      expect(JSON.parse(readFileSync(join(d, 'cache', 'p_localhost'), 'utf8'))).toEqual({ from_ansible: 2, from_tsplay: 1 });
    },
    60_000,
  );
});
