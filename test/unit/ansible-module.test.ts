/**
 * Ansible modules where tsplay has no native one: the module's output read as ansible-core reads it, the
 * interpreter-finding command, and load-time resolution by the controller's ansible-core (library/, collections by
 * FQCN and by the play's `collections:`, ansible.builtin routing, action plugins refused, nothing found).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { controllerPython } from '../../src/engine/ansible-module/bridge.js';
import { interpreterCommand } from '../../src/engine/ansible-module/module.js';
import { lookupAnsibleModule, normalizeResult, parseModuleOutput } from '../../src/engine/ansible-module/index.js';
import { toFileDiffs } from '../../src/output/diff.js';
import type { ResultData } from '../../src/contract/define.js';
import { NO_PYTHON_MARK } from '../../src/engine/ansible-module/result.js';
import { ROOT, tsplay } from '../harness/cli.js';

const FX = join(ROOT, 'test/fixtures/ansible-module');

describe("a module's output", () => {
  it('is its JSON object', () => {
    expect(parseModuleOutput('{"changed": true, "x": 1}\n', '', 0)).toEqual({ result: { changed: true, x: 1 }, notes: [] });
  });
  it('text before and after the JSON is dropped with a warning', () => {
    const p = parseModuleOutput('motd line\n{"changed": false}\ntrailer\n', '', 0);
    expect(p.result).toEqual({ changed: false });
    expect(p.notes).toEqual(['Module invocation had junk before the JSON data: motd line', 'Module invocation had junk after the JSON data: trailer']);
  });
  it('no JSON is a MODULE FAILURE carrying stdout, stderr and rc', () => {
    expect(parseModuleOutput('Traceback\n', 'boom\n', 1).result).toEqual({
      failed: true,
      changed: false,
      msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error',
      module_stdout: 'Traceback\n',
      module_stderr: 'boom\n',
      rc: 1,
    });
    expect(parseModuleOutput('{not json\n', '', 0).result.msg).toMatch(/^MODULE FAILURE/);
  });
});

describe('the result, as the task executor leaves it', () => {
  it('failed from rc when the module does not say; changed false by default; *_lines beside stdout/stderr', () => {
    const { result } = normalizeResult({ rc: 2, stdout: 'a\nb', stderr: '' });
    expect(result).toMatchObject({ failed: true, changed: false, stdout_lines: ['a', 'b'], stderr_lines: [] });
    expect(normalizeResult({ rc: 0 }).result.failed).toBe(false);
    expect(normalizeResult({ failed: false, rc: 3 }).result.failed).toBe(false);
  });
  it('warnings and deprecations are taken out to be shown; interpreter discovery is not a fact', () => {
    const n = normalizeResult({
      warnings: ['w1'],
      deprecations: [{ msg: 'old option', version: '9.0.0' }],
      ansible_facts: { services: {}, discovered_interpreter_python: '/usr/bin/python3' },
    });
    expect(n.warnings).toEqual(['w1', '[DEPRECATION WARNING]: old option This feature will be removed in version 9.0.0.']);
    expect(n.result['warnings']).toBeUndefined();
    expect(n.result.ansible_facts).toEqual({ services: {} });
  });
  it("Ansible's diff stays in the result as Ansible registers it; the renderer reads it (a mapping, a list, prepared text)", () => {
    expect(
      normalizeResult(JSON.parse('{"changed": true, "diff": {"before": "", "after": "x\\n", "before_header": "/f"}}') as ResultData).result['diff'],
    ).toEqual({
      before: '',
      after: 'x\n',
      before_header: '/f',
    });
    expect(toFileDiffs({ before: 'a\n', after: 'b\n', before_header: '/etc/x' })).toEqual([
      { before: 'a\n', after: 'b\n', beforeHeader: '/etc/x', afterHeader: undefined },
    ]);
    expect(toFileDiffs([{ before: { k: 1 }, after: { k: 2 } }])![0]!.after).toBe('{\n  "k": 2\n}\n');
    expect(toFileDiffs({ prepared: '+line\n' })).toEqual([{ before: '', after: '+line\n', beforeHeader: 'prepared', afterHeader: 'prepared' }]);
    expect(toFileDiffs(undefined)).toBeUndefined();
  });
});

describe('the interpreter command', () => {
  const sh = (cmd: string, input: string) => spawnSync('/bin/sh', ['-c', cmd], { input, encoding: 'utf8' });
  it('pipes the payload (stdin) into the first interpreter found', () => {
    const r = sh(interpreterCommand('cat'), 'payload bytes');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('payload bytes');
  });
  it('without one: rc 127 and a mark on stderr (the task then fails with a clear message)', () => {
    const r = sh(interpreterCommand('/nonexistent/python3'), 'x');
    expect(r.status).toBe(127);
    expect(r.stderr.trim()).toBe(NO_PYTHON_MARK);
  });
  it("looks where Ansible's auto_silent looks, in its order", () => {
    expect(interpreterCommand()).toContain("for p in '/usr/bin/python3' 'python3' '/usr/libexec/platform-python' '/usr/bin/python' 'python';");
  });
});

const hasAnsible = controllerPython() !== null;
describe.skipIf(!hasAnsible)('resolution by the controller ansible-core (skipped: no ansible-core on this machine)', () => {
  const playbookDir = FX;
  it("a role's library/ module", () => {
    const f = lookupAnsibleModule('tsplay_marker', { roleDir: join(FX, 'roles/marker'), playbookDir });
    expect(f.module?.origin).toBe('Ansible module tsplay_marker');
    expect(f.module?.description).toContain(join(FX, 'roles/marker/library/tsplay_marker.py'));
    expect(lookupAnsibleModule('tsplay_marker', { playbookDir }).module).toBeUndefined();
  });
  it("a collection module by FQCN, by its short name (ansible.builtin routing), and through the play's collections:", () => {
    expect(lookupAnsibleModule('community.general.timezone', { playbookDir }).module?.origin).toBe('Ansible module community.general.timezone');
    expect(lookupAnsibleModule('timezone', { playbookDir }).module?.origin).toBe('Ansible module community.general.timezone');
    expect(lookupAnsibleModule('keycloak_realm_info', { playbookDir }).module).toBeUndefined();
    expect(lookupAnsibleModule('keycloak_realm_info', { playbookDir, collections: ['community.general'] }).module?.origin).toBe(
      'Ansible module community.general.keycloak_realm_info',
    );
  });
  it('an ansible.builtin module tsplay lacks', () => {
    expect(lookupAnsibleModule('ansible.builtin.known_hosts', { playbookDir }).module?.origin).toBe('Ansible module ansible.builtin.known_hosts');
  });
  it('a module with an action plugin is not run: the hint says why', () => {
    const f = lookupAnsibleModule('unarchive', { playbookDir });
    expect(f.module).toBeUndefined();
    expect(f.hint).toBe(
      'ansible.builtin.unarchive is an Ansible module with an action plugin (ansible.builtin.unarchive, Python run on the controller), which tsplay does not run',
    );
  });
  it("a role's own action plugin (action_plugins/) is named as such", () => {
    expect(lookupAnsibleModule('tsplay_action', { roleDir: join(FX, 'roles/marker'), playbookDir }).hint).toBe(
      'tsplay_action is an Ansible action plugin (Python run on the controller: tsplay_action), which tsplay does not run',
    );
  });
  it('nothing found: the hint names what was searched', () => {
    const f = lookupAnsibleModule('no_such_module_x', { playbookDir });
    expect(f.module).toBeUndefined();
    expect(f.hint).toMatch(/^not found by ansible-core 2\.\d+\.\d+ either \(searched .*library.*ansible_collections/);
  });
});

describe('load time, through the CLI', () => {
  const pb = (tasks: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'tsplay-ansmod-'));
    const f = join(dir, 'pb.yml');
    writeFileSync(f, `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`);
    return f;
  };
  it.skipIf(!hasAnsible)('an unknown module stops the run before any host is touched, naming it and its file:line:col', async () => {
    const f = pb('    - name: x\n      no_such_module_x: { a: 1 }\n');
    const r = await tsplay(['run', f, '-i', '192.0.2.1,']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      new RegExp(`^ERROR! ${f}:5:7: unknown module 'no_such_module_x'\\n  hint: not found by ansible-core .* \\(searched ${join(f, '../library')}, `),
    );
    expect(r.stdout).toBe('');
  });
  it('without ansible-core on the controller: the load-time error says so', async () => {
    const f = pb('    - community.general.timezone: { name: UTC }\n');
    const r = await tsplay(['run', f, '--syntax-check', '-i', '192.0.2.1,'], { env: { TSPLAY_ANSIBLE_PYTHON: '/nonexistent/python3' } });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`${f}:4:7: unknown module 'community.general.timezone'`);
    expect(r.stderr).toContain(
      'hint: ansible-core is not installed on the controller (tried: /nonexistent/python3): library/ modules and collections cannot be looked up',
    );
  });
  it.skipIf(!hasAnsible)("a found module passes --syntax-check (its arguments are the module's to check, on the target)", async () => {
    const f = pb('    - ansible.builtin.known_hosts: { name: gw.example, state: absent }\n');
    const r = await tsplay(['run', f, '--syntax-check', '-i', '192.0.2.1,']);
    expect(r.all).not.toContain('ERROR');
    expect(r.code).toBe(0);
  });
});
