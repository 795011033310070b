/**
 * A WireGuard private key in its own file (DIR/IF.key, root 0600), for the wireguard and wireguard_key modules.
 *
 * Generated on the host (`wg genkey` under umask 077, straight into a temp file in DIR, then renamed): the
 * key never leaves the host, only `wg pubkey < FILE` does. Or written from a vault value (on stdin, never on
 * a command line). A hand-written conf's `PrivateKey =` line is adopted on the host (sed), so the peers'
 * copy of the public key stays valid. The controller never reads the file: a vault key is compared by its
 * public key (X25519, computed here), a generated one only by existence and attributes.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { defineFact, ModuleError, type ModuleContext } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';
import { keyValues } from '../shell/parts.js';

/** wg-quick's interface-name rule (the conf file name without .conf). */
export const IFNAME = /^[a-zA-Z0-9_=+.-]{1,15}$/;

/** A WireGuard key: 32 bytes, base64 (44 characters, one '=' of padding). */
export const KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export function keyFile(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}.key`;
}
export function confFile(dir: string, name: string): string {
  return `${dir.replace(/\/+$/, '')}/${name}.conf`;
}

export interface KeyState {
  /** the key file exists */
  exists: boolean;
  /** `stat -c '%a %U %G'` */
  attrs?: string;
  /** `wg pubkey < FILE` */
  publicKey?: string;
  /** the wg command exists */
  wg: boolean;
  /** the conf (when given) holds a PrivateKey line */
  confHasKey: boolean;
}

export function keyStateScript(a: { keyFile: string; confFile?: string }): string {
  const k = shq(a.keyFile);
  const conf = a.confFile
    ? `\nif [ -r ${shq(a.confFile)} ] && grep -qiE '^[[:space:]]*PrivateKey[[:space:]]*=' ${shq(a.confFile)}; then echo conf_key=yes; fi`
    : '';
  return `if command -v wg >/dev/null 2>&1; then echo wg=yes; fi
if [ -e ${k} ]; then
  echo key=yes
  echo "attrs=$(stat -c '%a %U %G' -- ${k})"
  if command -v wg >/dev/null 2>&1; then echo "pub=$(wg pubkey < ${k} 2>/dev/null)"; fi
fi${conf}`;
}

export function parseKeyState(stdout: string): KeyState {
  const kv = keyValues(stdout);
  return {
    exists: kv.get('key') === 'yes',
    attrs: kv.get('attrs')?.trim(),
    publicKey: kv.get('pub')?.trim() || undefined,
    wg: kv.get('wg') === 'yes',
    confHasKey: kv.get('conf_key') === 'yes',
  };
}

export const wgKeyFact = defineFact<{ keyFile: string; confFile?: string }, KeyState>({
  name: 'wireguard.key',
  command: keyStateScript,
  parse: (r) => parseKeyState(r.stdout),
});

/** X25519 public key of a WireGuard private key (base64 of 32 bytes), as `wg pubkey` prints it. */
export function wgPublicKey(privateKey: string): string {
  const raw = Buffer.from(privateKey.trim(), 'base64');
  if (raw.length !== 32) throw new Error('not a 32-byte key');
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw]);
  const spki = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}

export type KeyStep = { kind: 'generate' } | { kind: 'adopt'; from: string } | { kind: 'write'; key: string } | { kind: 'attrs' };

export interface KeyPlan {
  step: KeyStep;
  summary: string;
}

const WANT_ATTRS = '600 root root';

/**
 * What to do with the key file: undefined when it is right. `key`: a vault value (else generate or adopt);
 * `confFile`: the conf whose PrivateKey line to adopt when there is no key file yet.
 */
export function planKey(st: KeyState, keyFile: string, opts: { key?: string; confFile?: string } = {}): KeyPlan | undefined {
  if (opts.key !== undefined) {
    if (st.exists && st.publicKey === wgPublicKey(opts.key))
      return st.attrs === WANT_ATTRS ? undefined : { step: { kind: 'attrs' }, summary: `${keyFile}: root 0600` };
    return { step: { kind: 'write', key: opts.key.trim() }, summary: `${st.exists ? 'replace' : 'write'} the private key ${keyFile} (from the vault)` };
  }
  if (!st.exists) {
    if (st.confHasKey && opts.confFile)
      return { step: { kind: 'adopt', from: opts.confFile }, summary: `move the PrivateKey of ${opts.confFile} into ${keyFile} (on the host)` };
    return { step: { kind: 'generate' }, summary: `generate the private key ${keyFile} (wg genkey, on the host)` };
  }
  if (st.attrs !== WANT_ATTRS) return { step: { kind: 'attrs' }, summary: `${keyFile}: root 0600` };
  return undefined;
}

/** The script writing the key file; it prints the public key (only). */
export function keyStepScript(s: KeyStep, keyFile: string): string {
  const k = shq(keyFile);
  const dir = shq(keyFile.replace(/\/[^/]+$/, '') || '/');
  if (s.kind === 'attrs') return `chown root:root -- ${k} && chmod 0600 -- ${k} && wg pubkey < ${k}`;
  const fill =
    s.kind === 'generate'
      ? 'wg genkey > "$_t"'
      : s.kind === 'write'
        ? 'cat > "$_t"'
        : `sed -nE 's/^[[:space:]]*PrivateKey[[:space:]]*=[[:space:]]*([^[:space:]#]+).*$/\\1/Ip' ${shq(s.from)} | head -n 1 > "$_t" && [ -s "$_t" ]`;
  return `umask 077
command -v wg >/dev/null 2>&1 || { echo 'wg: command not found (install wireguard-tools)' >&2; exit 127; }
[ -d ${dir} ] || mkdir -p -m 0700 -- ${dir} || exit 1
_t=$(mktemp ${dir}/.wgkey.XXXXXX) || exit 1
{ ${fill} && chown root:root -- "$_t" && chmod 0600 -- "$_t" && wg pubkey < "$_t" > /dev/null && mv -f -- "$_t" ${k}; } || { _r=$?; rm -f -- "$_t"; exit $_r; }
wg pubkey < ${k}`;
}

/** Runs the key step (a vault key on stdin); returns the public key. */
export async function applyKey(ctx: ModuleContext, s: KeyStep, keyFile: string): Promise<string> {
  const r = await ctx.run(keyStepScript(s, keyFile), s.kind === 'write' ? { stdin: Buffer.from(s.key + '\n') } : undefined);
  if (r.rc !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ');
    throw new ModuleError(`writing the WireGuard private key ${keyFile} failed${detail ? ': ' + detail : ''}`, {
      rc: r.rc,
      stdout: r.stdout,
      stderr: r.stderr,
    });
  }
  return r.stdout.trim().split('\n').pop()!.trim();
}
