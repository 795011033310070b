/**
 * authorized_keys lines (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"): [options] keytype base64-key [comment].
 * Options are comma separated and may hold double-quoted strings with blanks. Pure parsing and merging.
 */
import { ArgsError } from '../../../src/contract/index.js';

const KEY_TYPE =
  /^(?:ssh-(?:rsa|dss|ed25519|xmss)|ecdsa-sha2-nistp(?:256|384|521)|sk-ecdsa-sha2-nistp256@openssh\.com|sk-ssh-ed25519@openssh\.com|(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp(?:256|384|521)|sk-ecdsa-sha2-nistp256@openssh\.com|sk-ssh-ed25519@openssh\.com)-cert-v01@openssh\.com)$/;

export interface AuthKey {
  options?: string;
  type: string;
  blob: string;
  comment?: string;
}

/** Split off the first blank-separated token, honouring "double quotes" (with \" inside) as sshd does. */
function firstToken(s: string): [string, string] {
  let i = 0;
  let q = false;
  for (; i < s.length; i++) {
    const c = s[i]!;
    if (q && c === '\\' && s[i + 1] === '"') {
      i++;
      continue;
    }
    if (c === '"') q = !q;
    else if (!q && (c === ' ' || c === '\t')) break;
  }
  return [s.slice(0, i), s.slice(i).replace(/^[ \t]+/, '')];
}

/** A key line, or undefined when the line is a comment, blank, or not a key. */
export function parseKeyLine(line: string): AuthKey | undefined {
  const t = line.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  let [tok, rest] = firstToken(t);
  let options: string | undefined;
  if (!KEY_TYPE.test(tok)) {
    options = tok;
    [tok, rest] = firstToken(rest);
    if (!KEY_TYPE.test(tok)) return undefined;
  }
  const [blob, comment] = firstToken(rest);
  if (!/^[A-Za-z0-9+/]+={0,3}$/.test(blob)) return undefined;
  return { options, type: tok, blob, comment: comment.trim() || undefined };
}

export function keyLine(k: AuthKey): string {
  return [k.options, k.type, k.blob, k.comment].filter((x) => x !== undefined && x !== '').join(' ');
}

/**
 * The `key` argument: one or more key lines (blank lines and # comments skipped). `options`/`comment` given
 * as arguments replace those of every key.
 */
export function parseKeysArg(text: string, keyOptions?: string, comment?: string): AuthKey[] {
  const keys: AuthKey[] = [];
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const k = parseKeyLine(t);
    if (!k) throw new ArgsError(`authorized_key: line ${i + 1} of key is not an ssh public key: '${t.slice(0, 40)}${t.length > 40 ? '...' : ''}'`, '/key');
    if (keyOptions !== undefined) k.options = keyOptions || undefined;
    if (comment !== undefined) k.comment = comment || undefined;
    keys.push(k);
  });
  if (!keys.length) throw new ArgsError('authorized_key: key has no public key', '/key');
  return keys;
}

export interface MergeSpec {
  keys: AuthKey[];
  state: 'present' | 'absent';
  /** present: every other key goes */
  exclusive: boolean;
}

/**
 * The file after the merge. Keys are identified by their base64 blob: a present key whose line differs
 * (options, comment) is rewritten in place; new keys are appended in the given order; comments are kept.
 */
export function mergeKeys(text: string, m: MergeSpec): { content: string; added: number; updated: number; removed: number } {
  const lines = text === '' ? [] : text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  const want = new Map(m.keys.map((k) => [k.blob, keyLine(k)]));
  const seen = new Set<string>();
  const out: string[] = [];
  let updated = 0;
  let removed = 0;
  for (const l of lines) {
    const k = parseKeyLine(l);
    if (!k) {
      out.push(l);
      continue;
    }
    const w = want.get(k.blob);
    if (m.state === 'absent') {
      if (w !== undefined) removed++;
      else out.push(l);
      continue;
    }
    if (w === undefined) {
      if (m.exclusive) removed++;
      else out.push(l);
      continue;
    }
    if (seen.has(k.blob)) {
      removed++;
      continue;
    }
    seen.add(k.blob);
    if (l !== w) updated++;
    out.push(w);
  }
  let added = 0;
  if (m.state === 'present') {
    for (const [blob, line] of want) {
      if (seen.has(blob)) continue;
      out.push(line);
      added++;
    }
  }
  return { content: out.length ? out.join('\n') + '\n' : '', added, updated, removed };
}
