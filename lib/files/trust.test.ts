/**
 * The symlink rule (lib/files/trust.ts) and the link walk of the file-state fact, run for real on a temp
 * directory of this machine (as this test runs: root, so an "other user" is simply uid 4321 given with lchown).
 * A sticky world-writable directory stands for /tmp; `victim` stands for /etc/shadow.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalConnection } from '../../src/connection/local.js';
import { fileStateFact, pinnedChmod, sharedDirectory, trustedHop, type FileFacts, type LinkHop } from './index.js';
import { registry, runModule } from '../../test/harness/modules.js';
import { validateArgs } from '../../src/contract/validate.js';
import type { CheckResult } from '../../src/contract/define.js';
import { connCtx, localConnection, tempDir } from '../../test/harness/files.js';

const OTHER = 4321;
let conn: LocalConnection;
let tmp: { dir: string; cleanup(): void };
let n = 0;
let shared: string;
let victim: string;

beforeAll(() => {
  conn = localConnection();
  tmp = tempDir('tsplay-trust-');
});
beforeEach(() => {
  const d = join(tmp.dir, `t${n++}`);
  mkdirSync(d);
  shared = join(d, 'tmp');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  victim = join(d, 'shadow');
  writeFileSync(victim, 'root:secret\n');
  chmodSync(victim, 0o640);
});
afterAll(async () => {
  await conn.close();
  tmp.cleanup();
});

/** a symlink `name` in the shared directory, owned by `uid` */
function plant(name: string, target: string, uid = OTHER): string {
  const p = join(shared, name);
  symlinkSync(target, p);
  lchownSync(p, uid, uid);
  return p;
}
const victimState = () => `${readFileSync(victim, 'utf8')}${(lstatSync(victim).mode & 0o7777).toString(8)}`;

describe('the rule', () => {
  const hop = (over: Partial<LinkHop>): LinkHop => ({
    path: '/tmp/x',
    uid: 1000,
    owner: 'ops',
    dirMode: 0o1777,
    dirUid: 0,
    dirOwner: 'root',
    final: true,
    ...over,
  });
  it('a link in a world-writable or sticky directory is trusted only from root, the directory owner or the follower', () => {
    expect(sharedDirectory(0o1777)).toBe(true);
    expect(sharedDirectory(0o777)).toBe(true);
    expect(sharedDirectory(0o1770)).toBe(true);
    expect(sharedDirectory(0o755)).toBe(false);
    expect(trustedHop(hop({}), 0)).toBe(false); // ops's link in /tmp, followed by root
    expect(trustedHop(hop({}), 1000)).toBe(true); // ops following its own link
    expect(trustedHop(hop({ uid: 0 }), 1000)).toBe(true);
    expect(trustedHop(hop({ dirUid: 1000 }), 0)).toBe(true); // the directory's owner could replace anything in it anyway
    expect(trustedHop(hop({ dirMode: 0o755, dirUid: 1000 }), 0)).toBe(true); // ops's own home
    expect(trustedHop(hop({ dirMode: 0o755 }), 0)).toBe(true);
  });
});

describe('the link walk', () => {
  it('reports every link resolving a path goes through, final or on the way, relative and chained', async () => {
    const real = join(shared, '..', 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'f'), 'x');
    plant('d', '../real');
    plant('l2', 'l', 0);
    plant('l', join(real, 'f'));
    const facts: FileFacts = await conn
      .connect()
      .then(() => runFact([join(shared, 'd/f'), join(shared, 'l2'), `${shared}/d/../tmp/l`, join(real, 'f'), join(shared, 'd/missing/deeper')]));
    const hops = facts.files.map((f) => (f.hops ?? []).map((h) => `${h.final ? 'F' : 'I'} ${h.path.slice(shared.length - 3)} ${h.uid}`));
    expect(hops).toEqual([['I tmp/d 4321'], ['F tmp/l2 0', 'F tmp/l 4321'], ['I tmp/d 4321', 'F tmp/l 4321'], [], ['I tmp/d 4321']]);
    expect(facts.files[0]!.hops![0]).toMatchObject({ dirMode: 0o1777, dirUid: 0, dirOwner: 'root' });
  });
});

async function runFact(paths: string[]): Promise<FileFacts> {
  const q = { items: paths.map((path) => ({ path, follow: true, linkHops: true })) };
  const r = await conn.run(fileStateFact.command(q));
  return fileStateFact.parse(r, q);
}

describe('modules refuse a link another user planted in a shared directory', () => {
  it('file state=file mode=0666 (the /etc/shadow attack): refused, with the link, its owner and the option named', async () => {
    const x = plant('x', victim);
    const r = (await runModule(conn, 'file', { path: x, state: 'file', mode: '0666' })).result;
    expect(r.failed).toBe(true);
    expect(r.msg).toBe(
      `refusing to follow the symlink ${x}: it is owned by ${OTHER} (uid ${OTHER}) and lies in ${shared}, a world-writable sticky directory owned by root, ` +
        "so another user could have planted it to redirect this task to another file (the kernel's protected_symlinks rule). Set follow: true on the task to follow it anyway.",
    );
    expect(victimState()).toBe('root:secret\n640');
    const touch = (await runModule(conn, 'file', { path: x, state: 'touch', mode: '0666' })).result;
    expect(touch.failed).toBe(true);
    expect(victimState()).toBe('root:secret\n640');
  });

  it('file state=directory through a planted link to a directory is refused; follow: true follows it', async () => {
    const dir = join(shared, '..', 'etc');
    mkdirSync(dir, 0o755);
    const x = plant('x', dir);
    expect((await runModule(conn, 'file', { path: x, state: 'directory', mode: '0777' })).result.failed).toBe(true);
    expect(lstatSync(dir).mode & 0o7777).toBe(0o755);
    const asked = (await runModule(conn, 'file', { path: x, state: 'directory', mode: '0777', follow: true })).result;
    expect(asked.failed, String(asked.msg)).toBeFalsy();
    expect(lstatSync(dir).mode & 0o7777).toBe(0o777);
  });

  it('trusted links are followed as before: root-owned, owned by the directory owner, outside shared directories', async () => {
    const x = plant('rootlink', victim, 0);
    expect((await runModule(conn, 'file', { path: x, state: 'file', mode: '0600' })).result.failed).toBeFalsy();
    expect(lstatSync(victim).mode & 0o7777).toBe(0o600);
    const own = join(shared, '..', 'home');
    mkdirSync(own);
    chmodSync(own, 0o1777);
    lchownSync(own, OTHER, OTHER);
    const l = join(own, 'l');
    symlinkSync(victim, l);
    lchownSync(l, OTHER, OTHER);
    expect((await runModule(conn, 'lineinfile', { path: l, line: 'added' })).result.failed).toBeFalsy();
    expect(readFileSync(victim, 'utf8')).toBe('root:secret\nadded\n');
  });

  it('lineinfile and blockinfile: refused by default, followed with follow: true, a link refused with follow: false', async () => {
    const x = plant('x', victim);
    for (const [mod, args] of [
      ['lineinfile', { path: x, line: 'evil::0:0::/:/bin/sh' }],
      ['blockinfile', { path: x, block: 'evil::0:0::/:/bin/sh' }],
    ] as const) {
      const r = (await runModule(conn, mod, { ...args, mode: '0666' })).result;
      expect(r.failed, mod).toBe(true);
      expect(r.msg).toMatch(/^refusing to follow the symlink .*Set follow: true/);
      expect(victimState()).toBe('root:secret\n640');
    }
    const trusted = plant('mine', victim, 0);
    const refused = (await runModule(conn, 'lineinfile', { path: trusted, line: 'y', follow: false })).result;
    expect(refused).toMatchObject({ failed: true, msg: `${trusted} is a symlink and follow is false: not following it` });
    const asked = (await runModule(conn, 'lineinfile', { path: x, line: 'asked', follow: true })).result;
    expect(asked.failed, String(asked.msg)).toBeFalsy();
    expect(readFileSync(victim, 'utf8')).toBe('root:secret\nasked\n');
  });

  it('copy: a link at dest is replaced (never followed); a planted link on the way to dest is refused', async () => {
    const x = plant('x', victim);
    expect((await runModule(conn, 'copy', { dest: x, content: 'mine\n' })).result.failed).toBeFalsy();
    expect(lstatSync(x).isFile()).toBe(true);
    expect(victimState()).toBe('root:secret\n640');
    const etc = join(shared, '..', 'etc');
    mkdirSync(etc);
    plant('d', etc);
    const r = (await runModule(conn, 'copy', { dest: join(shared, 'd', 'sudoers'), content: 'ALL ALL=(ALL) NOPASSWD: ALL\n' })).result;
    expect(r.failed).toBe(true);
    expect(r.msg).toMatch(new RegExp(`^refusing to follow the symlink ${shared}/d \\(on the way to ${shared}/d/sudoers\\)`));
    expect(readdirSync(etc)).toEqual([]);
    const rm = (await runModule(conn, 'file', { path: join(shared, 'd', 'passwd'), state: 'absent' })).result;
    expect(rm.failed).toBe(true);
  });

  it('copy remote_src: a planted link as the source is refused (it would copy another file as root)', async () => {
    const x = plant('x', victim);
    const out = join(shared, '..', 'public');
    const r = (await runModule(conn, 'copy', { src: x, remote_src: true, dest: out, mode: '0644' })).result;
    expect(r.failed).toBe(true);
    expect(() => readFileSync(out)).toThrow();
  });
});

describe('attribute changes made after check() cannot be redirected by a link swapped in since', () => {
  it('chmod acts on the file that is at the path, never through a symlink, and does not block on a fifo', async () => {
    const f = join(shared, 'f');
    writeFileSync(f, '');
    chmodSync(f, 0o600);
    expect((await conn.run(pinnedChmod(f, 0o644))).rc).toBe(0);
    expect(lstatSync(f).mode & 0o7777).toBe(0o644);
    expect((await conn.run(pinnedChmod(shared, 0o1777))).rc).toBe(0); // directories too
    const x = plant('x', victim);
    const r = await conn.run(pinnedChmod(x, 0o666));
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain(`tsplay: ${x} was replaced while the task ran (by a symbolic link?): its mode is left alone`);
    expect(victimState()).toBe('root:secret\n640');
    const fifo = join(shared, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect((await conn.run(pinnedChmod(fifo, 0o666))).rc).toBe(1);
  });

  /** check() now, then `between()` (what the other user does meanwhile), then apply() */
  async function raced(module: string, raw: Record<string, unknown>, between: () => void): Promise<string> {
    const mod = registry.get(module)!;
    const args = validateArgs(mod, raw);
    const ctx = connCtx(conn);
    const c = (await mod.check(ctx, args)) as CheckResult<unknown>;
    expect(c.changed).toBe(true);
    between();
    try {
      await mod.apply!(ctx, args, (c as { plan: unknown }).plan);
    } catch (e) {
      return (e as Error).message;
    }
    return 'applied';
  }

  it("file state=file mode=0666 on the other user's regular file, swapped for a link after check(): nothing redirected", async () => {
    const x = join(shared, 'x');
    writeFileSync(x, '');
    lchownSync(x, OTHER, OTHER);
    const msg = await raced('file', { path: x, state: 'file', mode: '0666', owner: '0' }, () => {
      rmSync(x);
      plant('x', victim);
    });
    expect(msg).toMatch(/was replaced while the task ran/);
    expect(victimState()).toBe('root:secret\n640');
  });

  it('file state=touch: a missing path is created exclusively; a link planted after check() is not followed', async () => {
    const x = join(shared, 'new');
    const nologin = join(shared, '..', 'nologin');
    const msg = await raced('file', { path: x, state: 'touch' }, () => void plant('new', nologin));
    expect(msg).toMatch(/File exists/);
    expect(() => lstatSync(nologin)).toThrow();
  });
});
