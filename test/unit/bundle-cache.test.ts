/**
 * bin/tsplay.js and V8's code cache (the built bundle, run for real): the cache is written once per
 * subcommand, private (0600 in a 0700 directory), and only what the user alone could have written is used:
 * a planted group-readable file, a directory of another owner or data V8 refuses are never trusted.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tsplay } from '../harness/cli.js';

const base = mkdtempSync(join(tmpdir(), 'tsplay-bundle-cache-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const bundled = existsSync(join(ROOT, 'dist/tsplay.cjs'));

const files = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cache')) : []);

describe('the bundle code cache (dist/tsplay.cjs, made by `npm run build`)', () => {
  it('the bundle is built', () => expect(bundled).toBe(true));

  it('written after the first command, one per subcommand, private; the next start uses it and answers the same', async () => {
    const xdg = join(base, 'a');
    const first = await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } });
    const dir = join(xdg, 'tsplay');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const [made] = files(dir);
    expect(made).toMatch(/-other\.cache$/);
    expect(statSync(join(dir, made!)).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(join(dir, made!));
    const second = await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } });
    expect(second.all).toBe(first.all);
    // used, not rewritten
    expect(Buffer.compare(readFileSync(join(dir, made!)), bytes)).toBe(0);
    await tsplay(['doc', 'ping'], { env: { XDG_CACHE_HOME: xdg } });
    expect(files(dir).sort()).toEqual([made!, made!.replace(/-other\.cache$/, '-doc.cache')].sort());
  });

  it('a cache file others could have written, or data V8 refuses, is not used: it is replaced by a private one', async () => {
    const xdg = join(base, 'b');
    await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } });
    const dir = join(xdg, 'tsplay');
    const p = join(dir, files(dir)[0]!);
    writeFileSync(p, 'not code');
    chmodSync(p, 0o644);
    const r = await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } });
    expect(r.code).toBe(0);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    expect(readFileSync(p).toString()).not.toBe('not code');
    // private but garbage: V8 refuses it, the command runs and writes a good one
    writeFileSync(p, 'garbage, mode 0600');
    chmodSync(p, 0o600);
    const r2 = await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } });
    expect(r2.all).toBe(r.all);
    expect(readFileSync(p).length).toBeGreaterThan(100_000);
  });

  it('a cache directory owned by another user, or under a home that is not ours, is left alone', async () => {
    const xdg = join(base, 'c');
    mkdirSync(join(xdg, 'tsplay'), { recursive: true, mode: 0o700 });
    chownSync(join(xdg, 'tsplay'), 65534, 65534);
    expect((await tsplay(['--version'], { env: { XDG_CACHE_HOME: xdg } })).code).toBe(0);
    expect(files(join(xdg, 'tsplay'))).toEqual([]);
    const home = join(base, 'home');
    mkdirSync(home);
    chownSync(home, 65534, 65534);
    expect((await tsplay(['--version'], { env: { XDG_CACHE_HOME: '', HOME: home } })).code).toBe(0);
    expect(existsSync(join(home, '.cache'))).toBe(false);
  });
});
