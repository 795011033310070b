/**
 * The atomic write, run for real on a temp directory (as this test runs: root, so ownership can be checked):
 * nothing is half-done on failure, attributes are kept or set, backups are named like Ansible's
 * (plus a random part) and created exclusively.
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModuleError } from '../../src/errors.js';
import { ancestors, createExclusive, runSteps, substituteValidate, type WriteSpec } from './index.js';
import type { LocalConnection } from '../../src/connection/local.js';
import { connCtx, localConnection, tempDir } from '../../test/harness/files.js';

let conn: LocalConnection;
let tmp: { dir: string; cleanup(): void };
let dir: string;
let n = 0;

async function write(spec: Omit<WriteSpec, 'keepAttrs' | 'mode'> & Partial<WriteSpec>, data: Buffer | string) {
  const ctx = connCtx(conn);
  return runSteps(ctx, [{ kind: 'write', spec: { keepAttrs: existsSync(spec.dest), mode: 0o644, ...spec }, data: Buffer.from(data) }]);
}
async function failure(p: Promise<unknown>): Promise<ModuleError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ModuleError) return e;
    throw e;
  }
  throw new Error('expected a ModuleError');
}

beforeAll(() => {
  conn = localConnection();
  tmp = tempDir('tsplay-write-');
});
beforeEach(() => {
  dir = join(tmp.dir, `t${n++}`);
  mkdirSync(dir);
});
afterAll(async () => {
  await conn.close();
  tmp.cleanup();
});

describe('atomic write', () => {
  it('writes binary content from stdin with the given mode', async () => {
    const data = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) % 256));
    await write({ dest: join(dir, 'f'), mode: 0o600 }, data);
    expect(Buffer.compare(readFileSync(join(dir, 'f')), data)).toBe(0);
    expect(lstatSync(join(dir, 'f')).mode & 0o7777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('keeps the owner and group of the file it replaces; sets them when asked', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    chownSync(f, 1234, 4321);
    await write({ dest: f, mode: 0o640 }, 'new');
    expect(lstatSync(f)).toMatchObject({ uid: 1234, gid: 4321 });
    expect(readFileSync(f, 'utf8')).toBe('new');
    await write({ dest: f, owner: '0', group: '0' }, 'newer');
    expect(lstatSync(f)).toMatchObject({ uid: 0, gid: 0 });
  });

  it('creates missing parent directories, with their mode', async () => {
    const f = join(dir, 'a/b/c/f');
    await write({ dest: f, mkdirs: ancestors(join(dir, 'a/b/c')), dirMode: 0o750 }, 'x');
    expect(readFileSync(f, 'utf8')).toBe('x');
    expect(lstatSync(join(dir, 'a/b')).mode & 0o7777).toBe(0o750);
    expect(lstatSync(dir).mode & 0o7777).not.toBe(0o750); // existing ones untouched
  });

  it('validate runs on the temp file (beside the destination) before the rename', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old\n');
    const seen = join(tmp.dir, `seen${n}`);
    await write({ dest: f, validate: `grep -q good %s && echo %s > ${seen}` }, 'good\n');
    expect(readFileSync(f, 'utf8')).toBe('good\n');
    const tmpPath = readFileSync(seen, 'utf8').trim();
    expect(tmpPath.startsWith(join(dir, '.f.tsplay.'))).toBe(true);
  });

  it('a failed validate leaves the old file untouched, no temp file, no created directories, no backup', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old\n');
    chmodSync(f, 0o640);
    const e = await failure(write({ dest: f, validate: 'sh -c "echo bad config >&2; exit 3" -- %s', backup: true, mode: 0o600 }, 'bad\n'));
    expect(e.message).toBe('failed to validate: rc:3 error:bad config');
    expect(readFileSync(f, 'utf8')).toBe('old\n');
    expect(lstatSync(f).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['f']);

    const g = join(dir, 'x/y/g');
    await failure(write({ dest: g, mkdirs: ancestors(join(dir, 'x/y')), validate: 'false %s' }, 'bad'));
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('any other failure (unknown owner) also leaves nothing behind', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    const e = await failure(write({ dest: f, owner: 'no-such-user-tsplay' }, 'new'));
    expect(e.message).toMatch(/^failed to write .*invalid user/);
    expect(readFileSync(f, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('backup: a preserved copy (content, mode, owner, times) named path.PID.YYYY-MM-DD@HH:MM:SS.RANDOM~', async () => {
    const f = join(dir, 'f');
    writeFileSync(f, 'old');
    chmodSync(f, 0o604);
    chownSync(f, 1234, 4321);
    utimesSync(f, 1_000_000, 2_000_000);
    const out = await write({ dest: f, backup: true }, 'new');
    expect(out.backupFile).toMatch(new RegExp(`^${f.replace(/[.]/g, '\\.')}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d\\.[A-Za-z0-9]{8}~$`));
    expect(readFileSync(out.backupFile!, 'utf8')).toBe('old');
    expect(lstatSync(out.backupFile!)).toMatchObject({ mode: 0o100604, uid: 1234, gid: 4321, mtimeMs: 2_000_000_000 });
    expect(readFileSync(f, 'utf8')).toBe('new');
    const again = await write({ dest: f, backup: true }, 'newer');
    expect(again.backupFile).not.toBe(out.backupFile); // never the same name twice, even within one second
  });

  it('backup: links planted at the predictable names (with or without a suffix) are never written through', async () => {
    const f = join(dir, 'f');
    const victim = join(dir, 'victim');
    writeFileSync(f, 'old');
    writeFileSync(victim, 'victim');
    chmodSync(victim, 0o600);
    // every name Ansible's scheme could produce this minute, for pids around ours
    const now = new Date();
    const p2 = (n: number) => String(n).padStart(2, '0');
    const minute = `${now.getFullYear()}-${p2(now.getMonth() + 1)}-${p2(now.getDate())}@${p2(now.getHours())}:${p2(now.getMinutes())}`;
    for (let s = 0; s < 60; s++) for (const pid of [process.pid, process.pid + 1]) symlinkSync(victim, `${f}.${pid}.${minute}:${p2(s)}~`);
    const out = await write({ dest: f, backup: true }, 'new');
    expect(lstatSync(out.backupFile!).isFile()).toBe(true);
    expect(readFileSync(out.backupFile!, 'utf8')).toBe('old');
    expect(readFileSync(victim, 'utf8')).toBe('victim');
    expect(lstatSync(victim).mode & 0o7777).toBe(0o600);
  });

  it('a file is created only under a name that did not exist: an existing name or a planted symlink is refused', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'victim');
    for (const planted of ['link', 'dangling', 'file']) {
      const name = join(dir, planted);
      if (planted === 'link') symlinkSync(victim, name);
      else if (planted === 'dangling') symlinkSync(join(dir, 'nowhere'), name);
      else writeFileSync(name, 'theirs');
      // mktemp replaced by a function that "guesses" the planted name
      const script = [`mktemp() { printf '%s\\n' ${JSON.stringify(name)}; }`, '_t=', ...createExclusive(7, 'X', '_t', '_f'), 'echo created "$_t"'].join('\n');
      const r = await conn.run(script);
      expect(r.rc, planted).not.toBe(0);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(victim, 'utf8')).toBe('victim');
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('theirs');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });

  it('once created, the file is reached through its descriptor: swapping its name for a symlink redirects nothing', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'victim');
    chmodSync(victim, 0o600);
    const tmpl = join(dir, '.t.XXXXXXXX');
    const script = [
      '_t=',
      ...createExclusive(7, tmpl, '_t', '_f'),
      // what a user who can write in the directory does between two of our commands
      `mv -- "$_t" ${JSON.stringify(join(dir, 'moved'))} && ln -s ${JSON.stringify(victim)} "$_t"`,
      'echo content >&7 && chmod 0666 -- "$_f" && touch -d @0 -- "$_f"',
    ].join('\n');
    const r = await conn.run(script);
    expect(r.rc, r.stderr).toBe(0);
    expect(readFileSync(victim, 'utf8')).toBe('victim');
    expect(lstatSync(victim).mode & 0o7777).toBe(0o600);
    expect(readFileSync(join(dir, 'moved'), 'utf8')).toBe('content\n');
    expect(lstatSync(join(dir, 'moved'))).toMatchObject({ mode: 0o100666, mtimeMs: 0 });
  });

  it('a symlink at dest is replaced by the file (its target is not touched)', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'target');
    symlinkSync(target, join(dir, 'l'));
    await write({ dest: join(dir, 'l'), keepAttrs: false }, 'new');
    expect(lstatSync(join(dir, 'l')).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('target');
  });

  it('copies a file already on the host (remote_src)', async () => {
    writeFileSync(join(dir, 'src'), 'from src');
    await write({ dest: join(dir, 'dst'), fromRemote: join(dir, 'src') }, '');
    expect(readFileSync(join(dir, 'dst'), 'utf8')).toBe('from src');
  });

  it('validate: %s and %% like Python, and %s is required', () => {
    expect(substituteValidate('visudo -cf %s', '"$_t"')).toBe('visudo -cf "$_t"');
    expect(substituteValidate("printf '100%%' && cat %s", 'T')).toBe("printf '100%' && cat T");
    expect(() => substituteValidate('visudo -c', 'T')).toThrow(/validate must contain %s/);
  });

  it('a dangling symlink is not followed either', async () => {
    symlinkSync('missing-target', join(dir, 'dl'));
    await write({ dest: join(dir, 'dl'), keepAttrs: false }, 'x');
    expect(lstatSync(join(dir, 'dl')).isFile()).toBe(true);
    expect(existsSync(join(dir, 'missing-target'))).toBe(false);
    expect(() => readlinkSync(join(dir, 'dl'))).toThrow();
  });
});
