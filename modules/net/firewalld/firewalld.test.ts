/**
 * firewalld: command planning from (daemon running?, already in runtime/permanent?) × (permanent, immediate,
 * state), Ansible's immediate/permanent rule, offline mode, argument refusals, and the real fact script
 * against stand-in firewall-cmd / firewall-offline-cmd commands.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwFactScript, parseFwFacts, planFirewalld, type FwFacts, type FwItem, type FwWanted } from './firewalld-plan.js';
import { argsError, runGw } from '../../../test/harness/gateway.js';

const IPSEC: FwItem = { kind: 'service', value: 'ipsec' };
const w = (over: Partial<FwWanted> = {}): FwWanted => ({ item: IPSEC, enabled: true, permanent: true, runtime: true, ...over });
const running = (rt: boolean, pm: boolean): FwFacts => ({ installed: true, offline: true, running: true, runtime: { has: rt }, permanent: { has: pm } });
const stopped = (pm: boolean): FwFacts => ({ installed: true, offline: true, running: false, permanent: { has: pm } });

describe('planning', () => {
  it.each<[string, FwWanted, FwFacts, string[], string[]]>([
    [
      'running, missing everywhere: runtime + permanent',
      w(),
      running(false, false),
      ['firewall-cmd --add-service=ipsec', 'firewall-cmd --permanent --add-service=ipsec'],
      [],
    ],
    ['running, only runtime missing', w(), running(false, true), ['firewall-cmd --add-service=ipsec'], []],
    ['running, all there: nothing', w(), running(true, true), [], []],
    ['running, permanent only', w({ runtime: false }), running(false, false), ['firewall-cmd --permanent --add-service=ipsec'], []],
    [
      'running, disable',
      w({ enabled: false }),
      running(true, true),
      ['firewall-cmd --remove-service=ipsec', 'firewall-cmd --permanent --remove-service=ipsec'],
      [],
    ],
    [
      'a zone',
      w({ item: { kind: 'source', value: '10.2.0.0/16' }, zone: 'trusted' }),
      running(false, false),
      ['firewall-cmd --zone=trusted --add-source=10.2.0.0/16', 'firewall-cmd --permanent --zone=trusted --add-source=10.2.0.0/16'],
      [],
    ],
    [
      'stopped: firewall-offline-cmd, runtime skipped with a warning',
      w(),
      stopped(false),
      ['firewall-offline-cmd --add-service=ipsec'],
      ['firewalld is not running: only the permanent configuration was changed (firewall-offline-cmd); it applies when firewalld starts'],
    ],
    ['stopped, already permanent: nothing, no warning', w(), stopped(true), [], []],
    [
      'stopped, permanent only: no warning',
      w({ runtime: false, item: { kind: 'port', value: '4500/udp' } }),
      stopped(false),
      ['firewall-offline-cmd --add-port=4500/udp'],
      [],
    ],
  ])('%s', (_t, want, facts, commands, warnings) => {
    const p = planFirewalld(want, facts);
    expect(p.commands).toEqual(commands);
    expect(p.warnings).toEqual(warnings);
  });

  it('impossible requests', () => {
    expect(() => planFirewalld(w({ permanent: false }), stopped(false))).toThrow(
      /firewalld is not running: a runtime-only change \(permanent: false\) needs the daemon/,
    );
    expect(() => planFirewalld(w(), { installed: false, offline: false, running: false })).toThrow(/firewalld is not installed/);
    expect(() =>
      planFirewalld(w(), {
        installed: true,
        offline: true,
        running: true,
        runtime: { error: 'Error: INVALID_ZONE: nozone', rc: 112 },
        permanent: { has: false },
      }),
    ).toThrow(/firewall runtime query for service ipsec failed: Error: INVALID_ZONE: nozone/);
  });
});

describe('the fact script against stand-in commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-fw-'));
  const tool = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\necho "$0 $*" >> ${dir}/calls\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  const facts = (item = IPSEC, zone?: string) =>
    parseFwFacts(execFileSync('/bin/sh', ['-c', fwFactScript(item, zone)], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } }));

  it('daemon stopped (the lab): only the offline query', () => {
    tool('firewall-cmd', 'case "$*" in --state) echo "not running"; exit 252;; esac; exit 9');
    tool(
      'firewall-offline-cmd',
      'case "$*" in *--zone=nozone*) echo "INVALID_ZONE: get_zone(): nozone"; exit 112;; *query-service=ipsec*) echo no; exit 1;; esac',
    );
    expect(facts()).toEqual({ installed: true, offline: true, running: false, permanent: { has: false } });
    expect(facts(IPSEC, 'nozone')).toEqual({
      installed: true,
      offline: true,
      running: false,
      permanent: { error: 'INVALID_ZONE: get_zone(): nozone', rc: 112 },
    });
  });

  it('daemon running: runtime and permanent queries', () => {
    tool(
      'firewall-cmd',
      'case "$*" in --state) echo running;; "--permanent --zone=trusted --query-source=10.2.0.0/16") echo yes;; "--zone=trusted --query-source=10.2.0.0/16") echo no; exit 1;; esac',
    );
    expect(facts({ kind: 'source', value: '10.2.0.0/16' }, 'trusted')).toEqual({
      installed: true,
      offline: true,
      running: true,
      runtime: { has: false },
      permanent: { has: true },
    });
  });
});

describe('the module', () => {
  it('offline on a canned host: the planned command runs, the warning is shown', async () => {
    const r = await runGw('firewalld', { service: 'ipsec', permanent: true, immediate: true, state: 'enabled' }, { facts: { firewalld: stopped(false) } });
    expect(r.result.changed).toBe(true);
    expect(r.commands.map((c) => c.script)).toEqual([expect.stringContaining('firewall-offline-cmd --add-service=ipsec 2>&1')]);
    expect(r.warnings).toEqual([
      'firewalld: firewalld is not running: only the permanent configuration was changed (firewall-offline-cmd); it applies when firewalld starts',
    ]);
    expect(r.result.msg).toBe('enable service ipsec (permanent, offline)');
  });

  it("Ansible's rule: no permanent, no immediate → runtime", async () => {
    const r = await runGw('firewalld', { port: '500/udp', state: 'enabled' }, { facts: { firewalld: running(false, false) } }, { check: true });
    expect(r.result.msg).toBe('enable port 500/udp (runtime)');
    expect(r.commands).toEqual([]);
  });

  it('a failing command fails the task with its output', async () => {
    const r = await runGw(
      'firewalld',
      { service: 'nosuch', permanent: true, state: 'enabled' },
      { facts: { firewalld: stopped(false) }, respond: () => ({ rc: 101, stdout: 'Error: INVALID_SERVICE: nosuch' }) },
    );
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toMatch(/firewall-offline-cmd --add-service=nosuch failed: Error: INVALID_SERVICE: nosuch/);
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ state: 'enabled' }, /one of service, port, source, interface is required/],
    [{ service: 'ipsec', port: '500/udp', state: 'enabled' }, /service, port are mutually exclusive/],
    [{ port: '500/ud', state: 'enabled' }, /port '500\/ud' must be PORT\/PROTO/],
    [{ port: '70000/udp', state: 'enabled' }, /out of range/],
    [{ source: '10.2.0.1/16', zone: 'trusted', state: 'enabled' }, /has host bits set: did you mean 10.2.0.0\/16/],
    [{ source: '10.2.0.0/33', state: 'enabled' }, /is not a valid address or CIDR/],
    [{ service: 'ipsec', state: 'present' }, /state' must be one of: enabled, disabled/],
    [{ service: 'ipsec', state: 'enabled', rich_rule: 'x' }, /unknown argument 'rich_rule'/],
  ])('argument refusals %#', (raw, msg) => {
    expect(argsError('firewalld', raw)?.message).toMatch(msg);
  });

  it('aliases and accepted forms', () => {
    expect(argsError('ansible.posix.firewalld', { source: 'ipset:cloud', state: 'enabled', permanent: true })).toBeUndefined();
    expect(argsError('firewalld', { port: '4500-4501/udp', state: 'disabled', offline: true })).toBeUndefined();
    expect(argsError('firewalld', { interface: 'eth1', zone: 'internal', state: 'enabled' })).toBeUndefined();
  });
});
