/**
 * Host key checking like OpenSSH's StrictHostKeyChecking: reads the known_hosts files (cached per
 * process), decides, appends new keys in accept-new mode, and explains refusals.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UnreachableError } from '../errors.js';
import type { ConnectionTarget } from './types.js';
import { checkHostKey, fingerprint, knownHostsLine, knownKeyTypes, lookupName, parseKnownHosts, blobType, type KnownHostEntry } from './known-hosts.js';

const cache = new Map<string, { stamp: string; entries: KnownHostEntry[] }>();

function loadFile(file: string): KnownHostEntry[] {
  let stamp: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) return [];
    stamp = `${st.mtimeMs}:${st.size}`;
  } catch {
    return [];
  }
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.entries;
  let entries: KnownHostEntry[] = [];
  try {
    entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
  } catch {
    /* unreadable: as if empty (OpenSSH does the same) */
  }
  cache.set(file, { stamp, entries });
  return entries;
}

export function allEntries(t: ConnectionTarget): KnownHostEntry[] {
  return [...t.knownHostsFiles, ...t.globalKnownHostsFiles].flatMap(loadFile);
}

const ALGOS_FOR_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_ORDER = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];

/** Host key algorithms to offer: the types known for this host first (so an ecdsa-only entry still matches). */
export function hostKeyAlgorithms(t: ConnectionTarget): string[] {
  if (t.hostKeyChecking === 'no') return DEFAULT_ORDER;
  const known = knownKeyTypes(allEntries(t), lookupName(t.host, t.port)).flatMap((k) => ALGOS_FOR_TYPE[k] ?? []);
  return [...new Set([...known, ...DEFAULT_ORDER])];
}

function where(e: KnownHostEntry): string {
  return `${e.file}:${e.line}`;
}

/**
 * Check the server's key. Returns null when accepted, or the UnreachableError to report.
 * In accept-new mode an unknown key is appended to the first user known_hosts file.
 */
export function verifyHostKey(t: ConnectionTarget, key: Buffer): UnreachableError | null {
  if (t.hostKeyChecking === 'no') return null;
  const name = lookupName(t.host, t.port);
  const v = checkHostKey(allEntries(t), name, key);
  const fp = `${blobType(key)} key ${fingerprint(key)}`;
  switch (v.status) {
    case 'ok':
      return null;
    case 'revoked':
      return new UnreachableError(`host key for ${name} is REVOKED (${fp}, ${where(v.entry)}): refusing to connect`);
    case 'changed':
      return withHint(
        `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}! Someone could be eavesdropping on you right now ` +
          `(man-in-the-middle attack), or the host key has just been changed. The server sent ${fp}, ` +
          `which does not match the key in ${v.entries.map(where).join(', ')}. Refusing to connect.`,
        `if the change is expected, remove the old key: ssh-keygen -f ${v.entries[0]!.file} -R '${name}'`,
      );
    case 'new-type': {
      // A known host that shows a key of another type is refused like a changed key, in accept-new mode too, as
      // OpenSSH does: a man in the middle cannot show the known key, but it can offer only a type not known yet.
      const known = v.entries.map((e) => `${e.keyType} in ${where(e)}`).join(', ');
      return withHint(
        `REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}! The server sent ${fp}, but the host is known by ` +
          `keys of another type (${known}). Someone could be eavesdropping on you right now (man-in-the-middle ` +
          `attack: a server that does not show the known key), or the host keys have just been changed. ` +
          `Refusing to connect; accept-new only learns keys of hosts that are not known at all.`,
        `if the change is expected, remove the old keys: ssh-keygen -f ${v.entries[0]!.file} -R '${name}'`,
      );
    }
    case 'unknown': {
      if (t.hostKeyChecking === 'accept-new' && t.knownHostsFiles.length > 0) {
        const file = t.knownHostsFiles[0]!;
        try {
          appendKnownHost(file, knownHostsLine(t.host, t.port, key));
        } catch (e) {
          return new UnreachableError(`cannot add the host key for ${name} to ${file}: ${(e as Error).message}`);
        }
        return null;
      }
      return withHint(
        `host key for ${name} is not known; add it or use --host-key-checking accept-new`,
        `the server sent ${fp}; known hosts files: ${[...t.knownHostsFiles, ...t.globalKnownHostsFiles].join(', ') || 'none'}`,
      );
    }
  }
}

function withHint(message: string, hint: string): UnreachableError {
  const e = new UnreachableError(message);
  e.hint = hint;
  return e;
}

function appendKnownHost(file: string, line: string): void {
  if (file === '/dev/null') return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const cur = readFileSync(file);
    if (cur.length > 0 && cur[cur.length - 1] !== 0x0a) prefix = '\n';
  } catch {
    /* new file */
  }
  appendFileSync(file, `${prefix}${line}\n`, { mode: 0o600 });
  cache.delete(file);
}
