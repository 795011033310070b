import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalConnection } from '../../src/connection/local.js';
import { PersistentShell } from '../../src/connection/persistent-shell.js';
import { buildScript, encodeRequest, loopCode, StreamBuffer } from '../../src/connection/shell-protocol.js';
import { targetFromVars } from '../../src/connection/target.js';
import { BecomeError, ModuleError, TsplayError } from '../../src/errors.js';

describe('StreamBuffer framing', () => {
  const M = 'tsplay-0123456789abcdef';

  it('cuts a frame whose trailer arrives one byte at a time', () => {
    const sb = new StreamBuffer();
    const data = Buffer.concat([Buffer.from('out\nput'), Buffer.from(`\n${M} 7 42\n`), Buffer.from('rest')]);
    let frame = null;
    for (let i = 0; i < data.length && !frame; i++) {
      sb.push(data.subarray(i, i + 1));
      frame = sb.takeFrame(M);
      if (i < data.length - 5) expect(frame === null || i === data.length - 6).toBe(true);
    }
    expect(frame).toEqual({ body: Buffer.from('out\nput'), id: 7, rc: 42 });
    expect(sb.length).toBe(0);
  });

  it('does not take text that only looks like the trailer of another marker', () => {
    const sb = new StreamBuffer();
    sb.push(Buffer.from(`\ntsplay-ffff 1 0\n\n${M}x 1 0\n`));
    expect(sb.takeFrame(M)).toBeNull();
    sb.push(Buffer.from(`\n${M} 1 0\n`));
    expect(sb.takeFrame(M)?.body.toString()).toBe(`\ntsplay-ffff 1 0\n\n${M}x 1 0\n`);
  });

  it('skips everything before a ready token', () => {
    const sb = new StreamBuffer();
    sb.push(Buffer.from('sudo: unable to resolve host x\nREA'));
    expect(sb.skipThrough('READY')).toBe(false);
    sb.push(Buffer.from('DY\nleft'));
    expect(sb.skipThrough('READY')).toBe(true);
    expect(sb.text()).toBe('left');
  });

  it('encodes short scripts line by line and long ones as a byte block', () => {
    expect(encodeRequest(3, 'a\nb', 'xy').toString()).toBe('3 2 2\na\nb\nxyE3\n');
    const long = 'echo x\n'.repeat(1000);
    const enc = encodeRequest(4, long);
    expect(enc.subarray(0, enc.indexOf(0x0a) + 1).toString()).toBe(`4 b${long.length} 0\n`);
  });

  it('rejects invalid environment names and NUL bytes', () => {
    expect(() => buildScript('true', { env: { 'A-B': '1' } })).toThrow(/invalid environment variable name/);
    expect(() => buildScript('a\0b')).toThrow(/NUL/);
  });
});

/** A scripted stand-in for sudo on a channel: records what tsplay writes, lets the test answer. */
function fakeChannel() {
  const handlers: Record<string, ((b: Buffer) => void)[]> = { stdout: [], stderr: [] };
  const closers: ((d: string) => void)[] = [];
  const ch = {
    written: [] as string[],
    killed: false,
    write: (d: Buffer) => void ch.written.push(d.toString()),
    onData: (s: 'stdout' | 'stderr', cb: (b: Buffer) => void) => void handlers[s]!.push(cb),
    onClose: (cb: (d: string) => void) => void closers.push(cb),
    end: () => undefined,
    kill: () => {
      ch.killed = true;
    },
    emit: (s: 'stdout' | 'stderr', text: string) => handlers[s]!.forEach((h) => h(Buffer.from(text))),
    close: (detail: string) => closers.forEach((c) => c(detail)),
  };
  return ch;
}

describe('sudo prompt handling (scripted channel)', () => {
  const base = {
    label: 'root@h1 (sudo)',
    host: 'h1',
    sanePath: true,
    readyToken: 'READY',
    lostError: (d: string) => new TsplayError('connection', d),
    transportGone: () => false,
  };
  const become = (password?: string) => ({ user: 'root', loginUser: 'ops', password, promptToken: '[P]' });
  /** the answer token the shell would print for the control line tsplay wrote */
  const answerOf = (line: string) => /t=([0-9a-f]{32});/.exec(line)![1]!;

  it('answers the first prompt once with the password; after the ready token, the control line; the loop after the answer', async () => {
    const ch = fakeChannel();
    const started = PersistentShell.start(ch, { ...base, become: become('s3cret'), startTimeoutMs: 5000 });
    expect(ch.written).toEqual([]); // nothing before sudo asks: the loop would be read as the password
    ch.emit('stderr', 'sudo: unable to resolve host h1\n[P]');
    expect(ch.written).toEqual(['s3cret\n']);
    ch.emit('stdout', 'READY 4242\n');
    ch.emit('stderr', 'READY 4242\n');
    await new Promise((r) => setImmediate(r));
    expect(ch.written).toHaveLength(2);
    // no data channel offered: in band
    expect(ch.written[1]).toMatch(/exec 3<&0 4>&1 5>&2; echo "ib-\$t-ib"; eval "\$\(head -c \d+ <&3\)"\n$/);
    ch.emit('stdout', `ib-${answerOf(ch.written[1]!)}-ib\n`);
    const sh = await started;
    expect(sh.ownChannel).toBe(false);
    expect(ch.written).toHaveLength(3);
    expect(ch.written[2]).toMatch(/^M=tsplay-[0-9a-f]{32}; PATH=\/usr\/local\/sbin:/);
  });

  it('adopts a data channel: commands, input and the marker never go on the (sudo) control channel', async () => {
    const ctl = fakeChannel();
    const data = fakeChannel();
    let holder = '';
    const started = PersistentShell.start(ctl, {
      ...base,
      become: become('s3cret'),
      startTimeoutMs: 5000,
      openData: async (cmd) => ((holder = cmd), data),
    });
    ctl.emit('stderr', '[P]');
    ctl.emit('stdout', 'READY 4242\n');
    ctl.emit('stderr', 'READY 4242\n');
    await new Promise((r) => setImmediate(r));
    expect(holder).toMatch(/exec tail --pid=4242 -f \/dev\/null/);
    const token = /echo (tsplay-data-[0-9a-f]{32}) \$\$/.exec(holder)![1];
    data.emit('stderr', 'noise from .bashrc\n');
    data.emit('stdout', `motd noise\n${token} 777\n`);
    expect(data.written).toEqual([]); // nothing for an rc file to read before the shell adopted the pipes
    expect(ctl.written[1]).toMatch(/P=777; if \(exec 3<\/proc\/\$P\/fd\/0 4>\/proc\/\$P\/fd\/1 5>\/proc\/\$P\/fd\/2\)/);
    ctl.emit('stdout', `ok-${answerOf(ctl.written[1]!)}-ok\n`);
    const sh = await started;
    expect(sh.ownChannel).toBe(true);
    expect(data.written[0]).toMatch(/^M=tsplay-[0-9a-f]{32}; /);
    const marker = /^M=(tsplay-[0-9a-f]{32});/.exec(data.written[0]!)![1]!;
    const r = sh.run('cat', 'the-input');
    expect(data.written[1]).toBe('1 1 9\ncat\nthe-inputE1\n');
    data.emit('stdout', `the-input\n${marker} 1 0\n`);
    data.emit('stderr', `\n${marker} 1 0\n`);
    expect((await r).stdout).toBe('the-input');
    expect(ctl.written.join('')).not.toMatch(/the-input|M=tsplay/);
    expect(ctl.written).toHaveLength(2); // password, control line: nothing else ever goes through sudo
  });

  it('falls back to the control channel when the data channel cannot be opened', async () => {
    const ctl = fakeChannel();
    const started = PersistentShell.start(ctl, {
      ...base,
      startTimeoutMs: 5000,
      openData: async () => {
        throw new Error('channel open failure');
      },
    });
    ctl.emit('stdout', 'READY 1\n');
    ctl.emit('stderr', 'READY 1\n');
    await new Promise((r) => setTimeout(r, 10));
    expect(ctl.written[0]).toMatch(/K=; exec 3<&0/);
    ctl.emit('stdout', `ib-${answerOf(ctl.written[0]!)}-ib\n`);
    expect((await started).ownChannel).toBe(false);
  });

  it('a second prompt means a wrong password: BecomeError, channel killed, no second try', async () => {
    const ch = fakeChannel();
    const started = PersistentShell.start(ch, { ...base, become: become('bad'), startTimeoutMs: 5000 });
    ch.emit('stderr', '[P]');
    ch.emit('stderr', 'Sorry, try again.\n[P]');
    const e = await started.catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(BecomeError);
    expect((e as Error).message).toBe('sudo: incorrect password for ops@h1');
    expect(ch.written).toEqual(['bad\n']);
    expect(ch.killed).toBe(true);
  });

  it('a prompt without a password, sudo exiting, requiretty, and silence are clear BecomeErrors', async () => {
    const a = fakeChannel();
    const pa = PersistentShell.start(a, { ...base, become: become(undefined), startTimeoutMs: 5000 });
    a.emit('stderr', '[P]');
    await expect(pa).rejects.toThrow('sudo requires a password on h1: use -K/--ask-become-pass or ansible_become_password');

    const b = fakeChannel();
    const pb = PersistentShell.start(b, { ...base, become: become('pw'), startTimeoutMs: 5000 });
    b.emit('stderr', '[P]');
    b.emit('stderr', 'ops is not in the sudoers file.  This incident will be reported.\n');
    b.close('exit status 1');
    await expect(pb).rejects.toThrow('sudo: ops is not in the sudoers file on h1');

    const t = fakeChannel();
    const pt = PersistentShell.start(t, { ...base, become: become('pw'), startTimeoutMs: 5000 });
    t.emit('stderr', 'sudo: sorry, you must have a tty to run sudo\n');
    t.close('exit status 1');
    const et = (await pt.catch((x: unknown) => x)) as BecomeError;
    expect(et.needsTty).toBe(true);

    const c = fakeChannel();
    const t0 = Date.now();
    const pc = PersistentShell.start(c, { ...base, become: become(undefined), startTimeoutMs: 200 });
    await expect(pc).rejects.toThrow('sudo on h1 did not answer within 0.2 s');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(c.killed).toBe(true);
  });

  it('writes nothing before the ready token (an rc file that reads stdin gets nothing of ours)', async () => {
    const ch = fakeChannel();
    const started = PersistentShell.start(ch, { ...base, become: become(undefined), startTimeoutMs: 5000 });
    expect(ch.written).toEqual([]);
    ch.emit('stdout', 'READY 5\n');
    ch.emit('stderr', 'READY 5\n');
    await new Promise((r) => setImmediate(r));
    ch.emit('stdout', `ib-${answerOf(ch.written[0]!)}-ib\n`);
    await started;
  });
});

/** Run the loop in a real /bin/sh, in band, fed `stream` on stdin: exit status, stdout, stderr. */
function runLoop(stream: Buffer): { status: number | null; stdout: string; stderr: string } {
  const loop = loopCode('tsplay-0123456789abcdef0123456789abcdef', { root: false });
  const r = spawnSync('/bin/sh', ['-c', `K=; exec 3<&0 4>&1 5>&2; eval "$(head -c ${loop.length} <&3)"`], {
    input: Buffer.concat([loop, stream]),
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('the loop runs a command only when all of it arrived', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsplay-cut-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, (f: string) => Buffer][] = [
    ['stdin cut short', (f) => encodeRequest(1, `cat >${f}`, Buffer.alloc(100_000, 120)).subarray(0, 50_000)],
    [
      'stdin complete but the end line missing',
      (f) => {
        const b = encodeRequest(1, `cat >${f}`, 'x'.repeat(10));
        return b.subarray(0, b.length - 3);
      },
    ],
    ['a long script (byte block) cut in the middle', (f) => encodeRequest(1, `echo first >${f}\n${'true\n'.repeat(2000)}echo second >>${f}`).subarray(0, 6000)],
    ['a short script (lines) cut after its first line', (f) => encodeRequest(1, `echo first >${f}\necho second >>${f}`).subarray(0, 12 + f.length)],
  ];
  for (const [name, make] of cases) {
    it(`${name}: nothing runs, the loop exits 112`, () => {
      const f = join(dir, name.replace(/\W+/g, '-'));
      const r = runLoop(make(f));
      expect(r.status).toBe(112);
      expect(existsSync(f)).toBe(false);
    });
  }

  it('a stream out of sync (wrong end line) runs nothing: exit 114', () => {
    const f = join(dir, 'sync');
    const req = Buffer.from(encodeRequest(1, `cat >${f}`, 'abc').toString().replace('E1\n', 'E2\n'));
    const r = runLoop(req);
    expect(r.status).toBe(114);
    expect(existsSync(f)).toBe(false);
  });

  it('a whole request runs, and the one after it is cut: only the first ran', () => {
    const f = join(dir, 'whole');
    const g = join(dir, 'cut');
    const r = runLoop(Buffer.concat([encodeRequest(1, `cat >${f}`, 'complete'), encodeRequest(2, `cat >${g}`, 'x'.repeat(5000)).subarray(0, 100)]));
    expect(r.status).toBe(112);
    expect(readFileSync(f, 'utf8')).toBe('complete');
    expect(existsSync(g)).toBe(false);
  });
});

describe('persistent shell over the local connection', () => {
  let c: LocalConnection;
  let dir: string;

  beforeAll(async () => {
    c = new LocalConnection(targetFromVars('localhost', {}));
    await c.connect();
    dir = mkdtempSync(join(tmpdir(), 'tsplay-shell-'));
  });
  afterAll(async () => {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps stdout, stderr and rc apart', async () => {
    const r = await c.run('echo one; echo two >&2; printf three; printf four >&2; exit 3');
    expect(r).toMatchObject({ rc: 3, stdout: 'one\nthree', stderr: 'two\nfour' });
  });

  it('returns the exit status of the command, including death by signal', async () => {
    for (const rc of [0, 1, 42, 255]) expect((await c.run(`exit ${rc}`)).rc).toBe(rc);
    expect((await c.run('false')).rc).toBe(1);
    expect((await c.run("sh -c 'kill -9 $$'")).rc).toBe(137);
    expect((await c.run('nonexistent-command-xyz')).rc).toBe(127);
  });

  it('passes binary stdin and returns binary stdout unchanged', async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const data = Buffer.concat([all, randomBytes(200_000), all]);
    const r = await c.run('cat', { stdin: data });
    expect(r.rc).toBe(0);
    expect(r.stdoutBuf.equals(data)).toBe(true);
  });

  it('returns outputs larger than 1 MB on both streams', async () => {
    const r = await c.run('head -c 3000000 /dev/zero | tr "\\0" a; head -c 1500000 /dev/zero | tr "\\0" b >&2');
    expect(r.stdout.length).toBe(3_000_000);
    expect(r.stdout).toMatch(/^a+$/);
    expect(r.stderr.length).toBe(1_500_000);
    expect(r.stderr).toMatch(/^b+$/);
  });

  it('runs in cwd with extra environment variables', async () => {
    const r = await c.run('pwd; printf "%s|" "$A" "$B"', { cwd: dir, env: { A: 'it\'s a "test"', B: 'x\ny' } });
    expect(r.stdout).toBe(`${dir}\nit's a "test"|x\ny|`);
    const bad = await c.run('echo never', { cwd: join(dir, 'missing') });
    expect(bad.rc).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(() => buildScript('x', { env: { '1X': 'y' } })).toThrow();
    await expect(c.run('true', { env: { 'no-dash': 'y' } })).rejects.toBeInstanceOf(ModuleError);
  });

  it('cwd is entered physically: through a symlink, $PWD is the real directory (as after os.chdir())', async () => {
    mkdirSync(join(dir, 'real', 'site'), { recursive: true });
    symlinkSync(join(dir, 'real'), join(dir, 'www'));
    const r = await c.run('dirname "$PWD"', { cwd: join(dir, 'www', 'site') });
    expect(r.stdout.trim()).toBe(join(dir, 'real'));
  });

  it('stays in sync when a command ignores its stdin', async () => {
    const r = await c.run('echo ignored', { stdin: randomBytes(300_000) });
    expect(r.stdout).toBe('ignored\n');
    const r2 = await c.run('wc -c', { stdin: 'abc' });
    expect(r2.stdout.trim()).toBe('3');
    const r3 = await c.run('cat');
    expect(r3.stdout).toBe(''); // no stdin given: /dev/null, not the protocol stream
  });

  it('runs scripts exactly: quotes, backslashes, leading blanks, no trailing newline, long scripts', async () => {
    const heredoc = "cat <<'EOF'\n  indented \\ back\\slash 'q' \"d\" $HOME\n\tTAB\nEOF";
    expect((await c.run(heredoc)).stdout).toBe('  indented \\ back\\slash \'q\' "d" $HOME\n\tTAB\n');
    const long = Array.from({ length: 600 }, (_, i) => `echo line${i}`).join('\n');
    const r = await c.run(long);
    expect(r.stdout.split('\n').length).toBe(601);
    expect(r.stdout.startsWith('line0\nline1\n')).toBe(true);
    expect(r.stdout.endsWith('line599\n')).toBe(true);
  });

  it('returns output that contains marker-like text, and does not leak the marker to commands', async () => {
    const fake = '\\ntsplay-00000000000000000000000000000000 1 0\\n';
    const r = await c.run(`printf '${fake}'; printf '${fake}' >&2; echo "M=[$M]"`);
    expect(r.stdout).toBe('\ntsplay-00000000000000000000000000000000 1 0\nM=[]\n');
    expect(r.stderr).toBe('\ntsplay-00000000000000000000000000000000 1 0\n');
    const ps = await c.run(`ps -o args= -p $$ 2>/dev/null || cat /proc/$$/cmdline`);
    expect(ps.stdout).not.toMatch(/tsplay-[0-9a-f]{32} /);
  });

  it('does not let a command change the shell for later commands', async () => {
    await c.run('cd /; X=1; export Y=2; set -e; exit 4');
    const r = await c.run('pwd; echo "[$X][$Y]"', { cwd: dir });
    expect(r.stdout).toBe(`${dir}\n[][]\n`);
  });

  it('serializes concurrent callers and answers each with its own output', async () => {
    const log = join(dir, 'order.log');
    const runs = Array.from({ length: 20 }, (_, i) =>
      c.run(`echo start ${i} >> ${log}; sleep 0.01; echo end ${i} >> ${log}; echo out${i}; echo err${i} >&2; exit ${i}`),
    );
    const results = await Promise.all(runs);
    results.forEach((r, i) => expect(r).toMatchObject({ rc: i, stdout: `out${i}\n`, stderr: `err${i}\n` }));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const expected = Array.from({ length: 20 }, (_, i) => [`start ${i}`, `end ${i}`]).flat();
    expect(lines).toEqual(expected);
  });

  it('reports a command that kills the shell, then starts a fresh shell', async () => {
    const err = await c.run('kill -9 $$; sleep 5').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TsplayError);
    expect((err as TsplayError).message).toMatch(/exited while running a command/);
    const r = await c.run('echo back');
    expect(r.stdout).toBe('back\n');
  });

  it('spools stdin only on a tmpfs, in a 0700 directory, only while the command runs; nothing in TMPDIR', async () => {
    const priv = mkdtempSync(join(tmpdir(), 'tsplay-tmpdir-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = priv; // the old protocol spooled here (a disk)
    const own = new LocalConnection(targetFromVars('localhost', {}));
    try {
      expect((await own.run('true')).rc).toBe(0);
      const r = await own.run('f=$(readlink -f /dev/stdin); echo "$f"; stat -f -c %T "$f"; stat -c %a "${f%/i}"; cat "$f"', { stdin: 'secret-data' });
      const [path, fs, mode, content] = r.stdout.split('\n');
      expect(path).toMatch(new RegExp(`^(/dev/shm|/run|${process.env.XDG_RUNTIME_DIR ?? '/nonexistent'})/tsplay\\.\\d+\\.[A-Za-z0-9]{6}/i$`));
      expect(fs).toMatch(/^(tmpfs|ramfs)$/);
      expect(mode).toBe('700');
      expect(content).toBe('secret-data');
      expect(readFileSync(path!, 'utf8')).toBe(''); // emptied after the command
      expect(readdirSync(priv)).toEqual([]);
      await own.close();
      expect(existsSync(dirname(path!))).toBe(false);
    } finally {
      await own.close();
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(priv, { recursive: true, force: true });
    }
  });

  it('a new shell removes the spool a killed shell left', async () => {
    // a spool of a shell that is gone: a pid that cannot exist (above pid_max) and an old-style leftover
    const stale = `/dev/shm/tsplay.${2 ** 22 + 7}.abcdef`;
    mkdirSync(stale, { recursive: true, mode: 0o700 });
    writeFileSync(join(stale, 'i'), 'left by a killed run');
    const own = new LocalConnection(targetFromVars('localhost', {}));
    try {
      await own.run('true');
      expect(existsSync(stale)).toBe(false);
    } finally {
      await own.close();
      rmSync(stale, { recursive: true, force: true });
    }
  });

  it('adopts a data channel of its own over the local connection too', async () => {
    const r = await c.run('for f in 3 4 5; do readlink /proc/$$/fd/$f; done'); // $$: the loop shell
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^pipe:/), expect.stringMatching(/^pipe:/), expect.stringMatching(/^pipe:/)]);
  });

  it('when the controller dies, the command it was running ends within the grace period, and the shell with it', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const script = `
      import { LocalConnection } from ${JSON.stringify(resolve('dist/src/connection/local.js'))};
      import { targetFromVars } from ${JSON.stringify(resolve('dist/src/connection/target.js'))};
      const c = new LocalConnection(targetFromVars('localhost', {}));
      c.run('echo $$ $PPID > ${pidFile}; exec sleep 300');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    try {
      const t0 = Date.now();
      while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').includes('\n')) {
        if (Date.now() - t0 > 15_000) throw new Error('the command did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const [cmd, shell] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number];
      expect(alive(cmd) && alive(shell)).toBe(true);
      child.kill('SIGKILL');
      const t1 = Date.now();
      while ((alive(cmd) || alive(shell)) && Date.now() - t1 < 15_000) await new Promise((r) => setTimeout(r, 200));
      expect(alive(cmd)).toBe(false);
      expect(alive(shell)).toBe(false);
      console.log(`command and shell ended ${((Date.now() - t1) / 1000).toFixed(1)} s after the controller was killed (grace 5 s)`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('uses LC_ALL=C and finds sbin programs', async () => {
    const r = await c.run('echo "$LC_ALL"; echo "$PATH"');
    const [lc, path] = r.stdout.split('\n');
    expect(lc).toBe('C');
    expect(path!.split(':')).toContain('/usr/sbin');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
