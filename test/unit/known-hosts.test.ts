import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostKeyAlgorithms, verifyHostKey } from '../../src/connection/host-key.js';
import { checkHostKey, fingerprint, hostFieldMatches, knownKeyTypes, lookupName, parseKnownHosts } from '../../src/connection/known-hosts.js';
import { targetFromVars } from '../../src/connection/target.js';
import type { ConnectionTarget } from '../../src/connection/types.js';

/** An SSH public key blob of the given type (random key material: matching only compares bytes). */
function blob(type: string): Buffer {
  const t = Buffer.from(type);
  const k = randomBytes(32);
  const b = Buffer.alloc(8 + t.length + k.length);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(k.length, 4 + t.length);
  k.copy(b, 8 + t.length);
  return b;
}
const b64 = (k: Buffer): string => k.toString('base64');

const dir = mkdtempSync(join(tmpdir(), 'tsplay-kh-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('known_hosts parsing and matching', () => {
  const ed = blob('ssh-ed25519');
  const ec = blob('ecdsa-sha2-nistp256');
  const other = blob('ssh-ed25519');

  it('parses entries with line numbers, skipping comments, blanks and malformed lines', () => {
    const text = [
      '# comment',
      '',
      `web1,10.0.0.5 ssh-ed25519 ${b64(ed)} root@web1`,
      'garbage line',
      `web1 ssh-ed25519 not*base64`,
      `web1 ecdsa-sha2-nistp256 ${b64(ed)}`, // type on the line does not match the blob: skipped
      `@revoked * ssh-ed25519 ${b64(other)}`,
      `@cert-authority *.example ssh-ed25519 ${b64(blob('ssh-ed25519'))}`,
    ].join('\n');
    const e = parseKnownHosts(text, '/kh');
    expect(e.map((x) => [x.line, x.marker, x.hosts])).toEqual([
      [3, undefined, 'web1,10.0.0.5'],
      [7, 'revoked', '*'],
      [8, 'cert-authority', '*.example'],
    ]);
    expect(e[0]!.key.equals(ed)).toBe(true);
  });

  it('matches comma lists, wildcards and negations, case-insensitively', () => {
    expect(hostFieldMatches('web1,10.0.0.5', '10.0.0.5')).toBe(true);
    expect(hostFieldMatches('WEB1', 'web1')).toBe(true);
    expect(hostFieldMatches('web?', 'web7')).toBe(true);
    expect(hostFieldMatches('*.lab.test,!bad.lab.test', 'bad.lab.test')).toBe(false);
    expect(hostFieldMatches('*.lab.test,!bad.lab.test', 'ok.lab.test')).toBe(true);
    expect(hostFieldMatches('web1', 'web10')).toBe(false);
    expect(hostFieldMatches('web.1', 'webx1')).toBe(false); // a dot is not a wildcard
  });

  it('gives the same answers when one pattern is matched against many names (compiled patterns are reused)', () => {
    for (let i = 0; i < 3; i++) {
      expect(hostFieldMatches('10.231.4.*', '10.231.4.17')).toBe(true);
      expect(hostFieldMatches('10.231.4.*', '10.231.5.17')).toBe(false);
      expect(hostFieldMatches('[10.0.0.?]:2222', '[10.0.0.7]:2222')).toBe(true);
      expect(hostFieldMatches('[10.0.0.?]:2222', '[10.0.0.7]:22')).toBe(false);
      expect(hostFieldMatches('[10.0.0.5]:2222', '[10.0.0.5]:2222')).toBe(true);
      expect(hostFieldMatches('node1', 'node1')).toBe(true);
      expect(hostFieldMatches('node1', 'node11')).toBe(false);
    }
  });

  it('uses [host]:port for non-standard ports, and plain names only for port 22', () => {
    const e = parseKnownHosts(`[10.0.0.5]:2222 ssh-ed25519 ${b64(ed)}\n10.0.0.6 ssh-ed25519 ${b64(ed)}\n`, '/kh');
    expect(lookupName('10.0.0.5', 2222)).toBe('[10.0.0.5]:2222');
    expect(checkHostKey(e, lookupName('10.0.0.5', 2222), ed).status).toBe('ok');
    expect(checkHostKey(e, lookupName('10.0.0.5', 22), ed).status).toBe('unknown');
    expect(checkHostKey(e, lookupName('10.0.0.6', 2222), ed).status).toBe('unknown');
    expect(checkHostKey(e, lookupName('10.0.0.6', 22), ed).status).toBe('ok');
  });

  it('matches hashed entries written by ssh-keygen -H', () => {
    const f = join(dir, 'hashed');
    writeFileSync(f, `node7.example ssh-ed25519 ${b64(ed)}\n[node8.example]:2200 ssh-ed25519 ${b64(ed)}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', f], { stdio: 'ignore' });
    const text = readFileSync(f, 'utf8');
    expect(text).not.toContain('node7');
    const e = parseKnownHosts(text, f);
    expect(e).toHaveLength(2);
    expect(e.every((x) => x.hosts.startsWith('|1|'))).toBe(true);
    expect(checkHostKey(e, 'node7.example', ed).status).toBe('ok');
    expect(checkHostKey(e, lookupName('node8.example', 2200), ed).status).toBe('ok');
    expect(checkHostKey(e, 'node9.example', ed).status).toBe('unknown');
  });

  it('matches a hashed entry built by hand (HMAC-SHA1 of the name, keyed by the salt)', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('db1').digest('base64');
    const field = `|1|${salt.toString('base64')}|${hash}`;
    expect(hostFieldMatches(field, 'db1')).toBe(true);
    expect(hostFieldMatches(field, 'db2')).toBe(false);
  });

  it('reports a changed key of the same type with every file:line that knows the old one', () => {
    const e = parseKnownHosts(`# c\nh1 ssh-ed25519 ${b64(ed)}\nh1 ecdsa-sha2-nistp256 ${b64(ec)}\n`, '/home/x/kh');
    const v = checkHostKey(e, 'h1', other);
    expect(v.status).toBe('changed');
    if (v.status === 'changed') expect(v.entries.map((x) => `${x.file}:${x.line}`)).toEqual(['/home/x/kh:2']);
  });

  it('tells a host known only by keys of other types (new-type) from a host not known at all', () => {
    const e = parseKnownHosts(`h1 ecdsa-sha2-nistp256 ${b64(ec)}\n@revoked h2 ssh-ed25519 ${b64(other)}\n`, '/kh');
    const v = checkHostKey(e, 'h1', ed);
    expect(v.status).toBe('new-type');
    if (v.status === 'new-type') expect(v.entries.map((x) => `${x.keyType} ${x.file}:${x.line}`)).toEqual(['ecdsa-sha2-nistp256 /kh:1']);
    expect(knownKeyTypes(e, 'h1')).toEqual(['ecdsa-sha2-nistp256']);
    // a @revoked line does not make a host known
    expect(checkHostKey(e, 'h2', ed)).toEqual({ status: 'unknown' });
    expect(checkHostKey(e, 'h3', ed)).toEqual({ status: 'unknown' });
  });

  it('refuses a revoked key even when another line accepts it, and ignores @cert-authority lines', () => {
    const e = parseKnownHosts(`h1 ssh-ed25519 ${b64(ed)}\n@revoked h1 ssh-ed25519 ${b64(ed)}\n`, '/kh');
    expect(checkHostKey(e, 'h1', ed).status).toBe('revoked');
    const ca = parseKnownHosts(`@cert-authority h1 ssh-ed25519 ${b64(ed)}\n`, '/kh');
    expect(checkHostKey(ca, 'h1', ed).status).toBe('unknown');
  });

  it('formats fingerprints like ssh-keygen -l', () => {
    const f = join(dir, 'fp');
    writeFileSync(f, `h ssh-ed25519 ${b64(ed)}\n`);
    const out = execFileSync('ssh-keygen', ['-l', '-f', f], { encoding: 'utf8' });
    expect(out).toContain(fingerprint(ed));
  });
});

describe('host key verification against files', () => {
  function target(over: Partial<ConnectionTarget>): ConnectionTarget {
    return { ...targetFromVars('h', { ansible_host: '10.9.9.9' }), ...over };
  }

  it('strict: unknown keys are refused with a clear message', () => {
    const f = join(dir, 'strict');
    writeFileSync(f, '');
    const e = verifyHostKey(target({ knownHostsFiles: [f], globalKnownHostsFiles: [] }), blob('ssh-ed25519'));
    expect(e?.message).toBe('host key for 10.9.9.9 is not known; add it or use --host-key-checking accept-new');
    expect(readFileSync(f, 'utf8')).toBe('');
  });

  it('accept-new: learns an unknown key once, then accepts it, and never accepts a changed one', () => {
    const f = join(dir, 'sub', 'known_hosts'); // the directory does not exist yet
    const t = target({ knownHostsFiles: [f], globalKnownHostsFiles: [], hostKeyChecking: 'accept-new', port: 2222 });
    const k = blob('ssh-ed25519');
    expect(verifyHostKey(t, k)).toBeNull();
    expect(readFileSync(f, 'utf8')).toBe(`[10.9.9.9]:2222 ssh-ed25519 ${b64(k)}\n`);
    expect(verifyHostKey(t, k)).toBeNull();
    expect(readFileSync(f, 'utf8').split('\n')).toHaveLength(2);
    const e = verifyHostKey(t, blob('ssh-ed25519'));
    expect(e?.message).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED for \[10\.9\.9\.9\]:2222/);
    expect(e?.message).toContain(`${f}:1`);
    expect(e?.hint).toContain('ssh-keygen');
    expect(readFileSync(f, 'utf8').split('\n')).toHaveLength(2);
  });

  it('accept-new never learns a key of a new type for a known host (OpenSSH refuses it too), strict neither', () => {
    const f = join(dir, 'newtype');
    const known = blob('ecdsa-sha2-nistp256');
    const text = `# lab\n10.9.9.9 ecdsa-sha2-nistp256 ${b64(known)}\n`;
    writeFileSync(f, text);
    const sent = blob('ssh-ed25519');
    for (const mode of ['accept-new', 'strict'] as const) {
      const e = verifyHostKey(target({ knownHostsFiles: [f], globalKnownHostsFiles: [], hostKeyChecking: mode }), sent);
      expect(e?.message).toMatch(/^REMOTE HOST IDENTIFICATION HAS CHANGED for 10\.9\.9\.9! The server sent ssh-ed25519 key SHA256:/);
      expect(e?.message).toContain(fingerprint(sent));
      expect(e?.message).toContain(`known by keys of another type (ecdsa-sha2-nistp256 in ${f}:2)`);
      expect(e?.message).toContain('Refusing to connect');
      expect(e?.hint).toBe(`if the change is expected, remove the old keys: ssh-keygen -f ${f} -R '10.9.9.9'`);
      expect(readFileSync(f, 'utf8')).toBe(text);
    }
    // the known type itself is still accepted, and a host not known at all is still learnt
    expect(verifyHostKey(target({ knownHostsFiles: [f], hostKeyChecking: 'accept-new' }), known)).toBeNull();
    expect(verifyHostKey(target({ knownHostsFiles: [f], hostKeyChecking: 'accept-new', host: '10.9.9.10' }), sent)).toBeNull();
    expect(readFileSync(f, 'utf8')).toBe(`${text}10.9.9.10 ssh-ed25519 ${b64(sent)}\n`);
  });

  it('accept-new appends after a last line without newline', () => {
    const f = join(dir, 'nonl');
    const k1 = blob('ssh-ed25519');
    writeFileSync(f, `other ssh-ed25519 ${b64(k1)}`);
    const k2 = blob('ssh-ed25519');
    expect(verifyHostKey(target({ knownHostsFiles: [f], hostKeyChecking: 'accept-new' }), k2)).toBeNull();
    expect(parseKnownHosts(readFileSync(f, 'utf8'), f).map((e) => e.hosts)).toEqual(['other', '10.9.9.9']);
  });

  it('reads global files but never writes them; "no" skips checking', () => {
    const user = join(dir, 'u');
    const glob = join(dir, 'g');
    const k = blob('ssh-ed25519');
    writeFileSync(glob, `10.9.9.9 ssh-ed25519 ${b64(k)}\n`);
    const t = target({ knownHostsFiles: [user], globalKnownHostsFiles: [glob] });
    expect(verifyHostKey(t, k)).toBeNull();
    expect(verifyHostKey(t, blob('ssh-ed25519'))?.message).toContain(`${glob}:1`);
    expect(verifyHostKey({ ...t, hostKeyChecking: 'no' }, blob('ssh-ed25519'))).toBeNull();
  });

  it('offers the host key algorithms known for the host first', () => {
    const f = join(dir, 'algos');
    writeFileSync(f, `10.9.9.9 ecdsa-sha2-nistp256 ${b64(blob('ecdsa-sha2-nistp256'))}\n10.9.9.8 ssh-rsa ${b64(blob('ssh-rsa'))}\n`);
    const t = target({ knownHostsFiles: [f], globalKnownHostsFiles: [] });
    expect(hostKeyAlgorithms(t)[0]).toBe('ecdsa-sha2-nistp256');
    expect(hostKeyAlgorithms(t)).toContain('ssh-ed25519');
    expect(hostKeyAlgorithms({ ...t, host: '10.9.9.8' }).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms({ ...t, host: '10.9.9.7' })[0]).toBe('ssh-ed25519');
  });
});
