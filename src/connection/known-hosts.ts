/**
 * OpenSSH known_hosts files: parsing and matching (pure, no I/O).
 * Supports comma host lists, wildcards (* ?) and negation (!), [host]:port entries, hashed entries
 * (|1|salt|hash), and the @revoked / @cert-authority markers (cert-authority lines are ignored: tsplay
 * does not do host certificates).
 */
import { createHash, createHmac } from 'node:crypto';

export interface KnownHostEntry {
  file: string;
  /** 1-based line number */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** the host field as written (comma list, or a |1|salt|hash) */
  hosts: string;
  /** key type named on the line, e.g. ssh-ed25519 */
  keyType: string;
  /** the decoded key blob (SSH wire format) */
  key: Buffer;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** a key of the same type is known for this host and differs */
  | { status: 'changed'; entries: KnownHostEntry[] }
  /**
   * the host is known, but only by keys of other types: as suspect as a changed key (a server that cannot show
   * the known key may be an impostor), never learnt automatically
   */
  | { status: 'new-type'; entries: KnownHostEntry[] }
  /** nothing at all is known for this host */
  | { status: 'unknown' };

/** Parse one known_hosts file's text. Malformed lines are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    if (fields.length < 3) continue;
    const [hosts, keyType, b64] = fields as [string, string, string];
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue;
    const key = Buffer.from(b64, 'base64');
    if (blobType(key) !== keyType) continue;
    out.push({ file, line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** The name looked up in known_hosts: "host" for port 22, "[host]:port" otherwise (lowercased). */
export function lookupName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** The key type stored at the start of an SSH public key blob. */
export function blobType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const n = key.readUInt32BE(0);
  if (n > 64 || 4 + n > key.length) return undefined;
  return key.subarray(4, 4 + n).toString('latin1');
}

/** "SHA256:..." like ssh-keygen -l */
export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** Compiled host patterns: a run looks every host up in the same known_hosts lines (N hosts x N lines). */
const globCache = new Map<string, RegExp>();

function globMatch(pattern: string, s: string): boolean {
  // a pattern without wildcards is a plain comparison (most known_hosts lines)
  if (!/[*?]/.test(pattern)) return pattern === s;
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(
      '^' +
        pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.') +
        '$',
    );
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re.test(s);
}

/** Does an entry's host field match the lookup name? Negated patterns veto the whole entry. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const p of field.toLowerCase().split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

/** Host field for a new line (plain, like OpenSSH with HashKnownHosts no). */
export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${lookupName(host, port)} ${blobType(key)} ${key.toString('base64')}`;
}

/** Compare the server's key with what the files know for this host. */
export function checkHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  const type = blobType(key);
  const mine = entries.filter((e) => e.marker !== 'cert-authority' && hostFieldMatches(e.hosts, name));
  // a revoked key is refused whichever host it is listed for (OpenSSH: "@revoked" applies to any host in the field)
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const plain = mine.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.key.equals(key));
  if (same) return { status: 'ok', entry: same };
  const sameType = plain.filter((e) => e.keyType === type);
  if (sameType.length > 0) return { status: 'changed', entries: sameType };
  if (plain.length > 0) return { status: 'new-type', entries: plain };
  return { status: 'unknown' };
}

/** Key types known for this host (to order the host key algorithms we offer). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], name: string): string[] {
  const types = entries.filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name)).map((e) => e.keyType);
  return [...new Set(types)];
}
