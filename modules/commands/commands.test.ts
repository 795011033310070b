import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shSplit } from '../../lib/shell/shlex.js';
import { commandLine, delta, expandWord, guardDecision, guardScript, parseGuard, shPathPattern } from '../../lib/commands/run-command.js';
import { shellScript } from './shell/shell.js';
import { res, runFake } from '../../test/harness/system.js';

const sh = (script: string, env: Record<string, string> = {}): string =>
  execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

describe('shSplit (POSIX shlex)', () => {
  it.each([
    ['ls -l /tmp', ['ls', '-l', '/tmp']],
    [`echo "a b" 'c d' e\\ f`, ['echo', 'a b', 'c d', 'e f']],
    [`printf "%s\\n" "x\\"y"`, ['printf', '%s\\n', 'x"y']],
    [`a''b ""`, ['ab', '']],
    ['  spaced\targs\n', ['spaced', 'args']],
    [`echo 'it'"'"'s'`, ['echo', "it's"]],
    ['echo $HOME | cat', ['echo', '$HOME', '|', 'cat']],
  ])('%j', (input, want) => {
    expect(shSplit(input)).toEqual(want);
  });
  it.each([`echo "open`, `echo 'open`, 'echo \\'])('rejects %j', (input) => {
    expect(() => shSplit(input)).toThrow(/No closing quotation|No escaped character/);
  });
});

describe('command line building (run by a real sh)', () => {
  it('passes arguments verbatim: no globbing, no pipes, no word splitting', () => {
    const line = commandLine(['printf', '[%s]', 'a b', '*', '|', '`x`', ';'], false);
    expect(sh(line)).toBe('[a b][*][|][`x`][;]');
  });
  it('expands $VARS and ${VARS} like Ansible, unset ones stay literal, ~ is $HOME', () => {
    const line = commandLine(['printf', '[%s]', '$FOO', 'x${FOO}y', '$UNSET_VAR', '~/d', "it's $FOO"], true);
    expect(sh(line, { FOO: 'v a', HOME: '/home/me' })).toBe("[v a][xv ay][$UNSET_VAR][/home/me/d][it's v a]");
    expect(expandWord('plain')).toBe('plain');
  });
  it('shell runs the command line in a fresh shell with the chosen executable', () => {
    expect(sh(shellScript('echo $((1+2)) | tr 3 x'))).toBe('x\n');
    expect(sh(shellScript('echo "$0"', '/bin/sh'))).toBe('/bin/sh\n');
  });
  it('delta formats like Python timedelta', () => {
    expect(delta(1234)).toBe('0:00:01.234000');
    expect(delta(3723004)).toBe('1:02:03.004000');
  });
});

describe('creates/removes guards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sysguard-'));
  writeFileSync(join(dir, 'made.txt'), 'x');
  writeFileSync(join(dir, 'it is.log'), 'x');
  it.each([
    [{ creates: join(dir, 'made.txt') }, { creates: true }],
    [{ creates: join(dir, 'nope') }, { creates: false }],
    [{ creates: join(dir, '*.txt') }, { creates: true }],
    [{ creates: join(dir, 'm?de.[a-z]xt') }, { creates: true }],
    [{ creates: join(dir, '*.none') }, { creates: false }],
    [{ removes: join(dir, 'it is.log') }, { removes: true }],
    [
      { creates: join(dir, 'x'), removes: join(dir, 'made.txt') },
      { creates: false, removes: true },
    ],
  ])('%j → %j', (args, want) => {
    expect(parseGuard(sh(guardScript(args)!))).toEqual(want);
  });
  it('quotes everything that is not a glob', () => {
    expect(shPathPattern('/a b/$(rm -rf x)/*.c')).toBe(`'/a b/$(rm -rf x)/'*.c`);
    expect(shPathPattern('~/x')).toBe('"$HOME"/x');
  });
  it('decides like Ansible', () => {
    expect(guardDecision({ creates: '/x' }, { creates: true })?.msg).toBe("Did not run command since '/x' exists");
    expect(guardDecision({ removes: '/x' }, { removes: false })?.msg).toBe("Did not run command since '/x' does not exist");
    expect(guardDecision({ creates: '/x', removes: '/y' }, { creates: false, removes: true })).toBeNull();
    expect(guardScript({})).toBeNull();
  });
});

describe('command / shell modules', () => {
  it('no guard: check costs no command, apply runs it once and reports Ansible fields', async () => {
    const r = await runFake('command', { cmd: 'echo hi there' }, () => res('hi there\n'));
    expect(r.commands.map((c) => c.script)).toEqual(['exec echo hi there']);
    expect(r.result).toMatchObject({
      changed: true,
      rc: 0,
      stdout: 'hi there',
      stdout_lines: ['hi there'],
      stderr: '',
      stderr_lines: [],
      cmd: ['echo', 'hi', 'there'],
      msg: '',
    });
    expect(r.result.delta).toMatch(/^0:00:00\.\d{6}$/);
    expect(r.result.start).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  });
  it('creates exists: ok, the command never runs', async () => {
    const r = await runFake('ansible.builtin.command', { cmd: 'touch /tmp/x', creates: '/tmp/x' }, () => res('creates=y\n'));
    expect(r.commands).toHaveLength(1);
    expect(r.result).toMatchObject({ changed: false, rc: 0, msg: "Did not run command since '/tmp/x' exists" });
  });
  it('removes missing: ok', async () => {
    const r = await runFake('shell', { cmd: 'rm /tmp/x', removes: '/tmp/x' }, () => res('removes=n\n'));
    expect(r.result).toMatchObject({ changed: false, msg: "Did not run command since '/tmp/x' does not exist" });
  });
  it('creates missing: runs, with chdir and stdin (+ newline)', async () => {
    const r = await runFake('shell', { cmd: 'cat > f', creates: 'f', chdir: '/srv', stdin: 'data' }, (s) =>
      s.includes('creates=') ? res('creates=n\n') : res(''),
    );
    expect(r.commands).toHaveLength(2);
    expect(r.commands[0]!.opts.cwd).toBe('/srv');
    expect(r.commands[1]).toMatchObject({ script: "exec /bin/sh -c 'cat > f'", opts: { stdin: 'data\n', cwd: '/srv' } });
    expect(r.result.changed).toBe(true);
  });
  it('check mode: skipped, nothing run', async () => {
    const r = await runFake('command', { cmd: 'reboot' }, () => res(''), { check: true });
    expect(r.commands).toHaveLength(0);
    expect(r.result).toMatchObject({ changed: false, skipped: true, msg: 'Command would have run if not in check mode' });
  });
  it("check mode with a guard that says no: ok (not skipped), command.py's 'Would not run'", async () => {
    const r = await runFake('command', { cmd: 'x', creates: '/x' }, () => res('creates=y\n'), { check: true });
    expect(r.result).toMatchObject({ changed: false, rc: 0, msg: "Would not run command since '/x' exists" });
    expect(r.result.skipped).toBeUndefined();
  });
  it('check mode with a guard that lets it run: changed, not skipped, nothing run but the guard', async () => {
    const r = await runFake('shell', { cmd: 'touch /x', creates: '/x' }, () => res('creates=n\n'), { check: true });
    expect(r.result).toMatchObject({ changed: true, rc: 0, msg: 'Command would have run if not in check mode' });
    expect(r.result.skipped).toBeUndefined();
    expect(r.commands).toHaveLength(1);
  });
  it("non-zero rc fails with Ansible's message, keeps output", async () => {
    const r = await runFake('shell', { cmd: 'false' }, () => res('', 3, 'boom\n'));
    expect(r.result).toMatchObject({ failed: true, changed: true, rc: 3, msg: 'non-zero return code', stderr: 'boom', stderr_lines: ['boom'] });
  });
  it('a chdir that fails says so', async () => {
    const r = await runFake('command', { cmd: 'ls', chdir: '/nope' }, () => res('', 2, "sh: 1: cd: can't cd to /nope\n"));
    expect(r.result).toMatchObject({ failed: true, msg: 'Unable to change directory before execution: /nope' });
  });
  it('argv form, executable, strip_empty_ends=false', async () => {
    const a = await runFake('command', { argv: ['ls', '-l', 'a b'] }, () => res('x\n\n'));
    expect(a.commands[0]!.script).toBe("exec ls -l 'a b'");
    expect(a.result.cmd).toEqual(['ls', '-l', 'a b']);
    expect(a.result.stdout).toBe('x');
    const b = await runFake('shell', { cmd: 'echo $0', executable: '/bin/bash', strip_empty_ends: false }, () => res('/bin/bash\n'));
    expect(b.commands[0]!.script).toBe("exec /bin/bash -c 'echo $0'");
    expect(b.result.stdout).toBe('/bin/bash\n');
  });
  it.each([
    ['command', { cmd: 'echo "x' }, /No closing quotation/],
    ['shell', { cmd: 'ls', argv: ['ls'] }, /unknown argument 'argv'/],
  ])('%s %j is rejected', async (name, args, err) => {
    await expect(runFake(name, args, () => res())).rejects.toThrow(err);
  });
  it.each([
    ['command', {}],
    ['command', { argv: [] }],
    ['command', { cmd: 'ls', argv: ['ls'] }, 'only command or argv can be given, not both'],
    ['shell', { cmd: '  ' }],
  ])("%s %j: Ansible's failed result (rc 256), nothing run", async (name, args, msg = 'no command given') => {
    const r = await runFake(name, args, () => res());
    expect(r.result).toMatchObject({ failed: true, changed: false, msg, rc: 256 });
    expect(r.commands).toEqual([]);
  });
  it("command's executable (removed in Ansible 2.4): run without it, with Ansible's warning", async () => {
    const r = await runFake('command', { cmd: 'ls', executable: '/bin/bash' }, () => res('x\n'));
    expect(r.commands[0]!.script).not.toContain('/bin/bash');
    expect(r.warnings.join('\n')).toContain("the parameter 'executable' is no longer supported with the 'command' module. Not using '/bin/bash'.");
  });
  it('a misspelt argument gets a hint', async () => {
    await expect(runFake('command', { cmd: 'ls', creats: '/x' }, () => res())).rejects.toThrow("unknown argument 'creats' (did you mean 'creates'?)");
  });
});
