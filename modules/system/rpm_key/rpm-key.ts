/** rpm_key (ansible.builtin.rpm_key): a GPG key in the RPM database, found by its key id (no gpg on the target). */
import { ArgsError, ModuleError, Type, change, defineModule, ok } from '../../../src/contract/index.js';
import { isPubkey, pgpKeyInfo } from '../../../lib/packages/openpgp-key.js';
import { shq } from '../../../lib/shell/quote.js';

const Args = Type.Object(
  {
    key: Type.String({
      description:
        'a URL (fetched on the host with curl or wget), a key file on the host, the armored key text, or a key id (8+ hex digits) of a key already imported',
    }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: imported (rpm --import); absent: erased',
    }),
    fingerprint: Type.Optional(Type.String({ description: 'the full fingerprint the key must have (blanks ignored); a mismatch refuses the import' })),
    validate_certs: Type.Boolean({ default: true, description: 'false: do not verify the HTTPS certificate when fetching a URL' }),
  },
  { additionalProperties: false },
);

interface Plan {
  /** import: the key text; erase: the short id */
  import?: string;
  erase?: string;
}

const KEYID = /^(0x)?[0-9a-f]{8}/i;

/** normalize_keyid: no 0x, upper case. */
const normalize = (k: string): string => k.trim().toUpperCase().replace(/^0X/, '');

/** The short ids (8 hex, upper case) of the keys rpm holds: gpg-pubkey packages are named by them. */
async function installed(probe: (c: string) => Promise<{ rc: number; stdout: string }>): Promise<string[]> {
  const r = await probe(`rpm -q gpg-pubkey --qf '%{VERSION}\\n' 2>/dev/null`);
  if (r.rc !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim().toUpperCase())
    .filter((l) => /^[0-9A-F]{8,}$/.test(l));
}

export const rpmKey = defineModule<typeof Args, Plan>({
  name: 'rpm_key',
  aliases: ['ansible.builtin.rpm_key', 'ansible.legacy.rpm_key'],
  description: 'Add or remove a GPG key in the RPM database (idempotent by key id)',
  examples: `- name: Microsoft's package signing key (seed 001)
  ansible.builtin.rpm_key:
    key: https://packages.microsoft.com/keys/microsoft.asc
    fingerprint: BC52 8686 B50D 79E3 39D3  721C EB3E 94AD BE12 29CF
- name: the old key is gone
  ansible.builtin.rpm_key:
    key: 0xDEADBEEF
    state: absent
`,
  returns: { keyid: 'the long key id (16 hex digits) when the key text was read, else the id given' },
  args: Args,
  validate(a) {
    if (a.key.trim() === '') throw new ArgsError('rpm_key: key cannot be empty', '/key');
  },
  async check(ctx, a) {
    let text: string | undefined;
    let keyid: string;
    if (isPubkey(a.key)) text = a.key;
    else if (a.key.includes('://')) {
      const k = shq(a.key);
      const insecure = a.validate_certs ? '' : ' -k';
      const r = await ctx.probe(
        `if command -v curl >/dev/null 2>&1; then curl -fsSL${insecure} ${k}; elif command -v wget >/dev/null 2>&1; then wget -qO-${a.validate_certs ? '' : ' --no-check-certificate'} ${k}; else echo 'neither curl nor wget on the host' >&2; exit 127; fi`,
      );
      if (r.rc !== 0) throw new ModuleError(`failed to fetch key at ${a.key} , error was: ${r.stderr.trim() || `rc ${r.rc}`}`);
      if (!isPubkey(r.stdout)) throw new ModuleError(`Not a public key: ${a.key}`);
      text = r.stdout;
    } else if (KEYID.test(a.key)) {
      keyid = normalize(a.key);
    } else {
      const r = await ctx.probe(`[ -f ${shq(a.key)} ] && cat ${shq(a.key)}`);
      if (r.rc !== 0) throw new ModuleError(`Not a valid key ${a.key}`);
      text = r.stdout;
    }
    if (text !== undefined) {
      try {
        keyid = pgpKeyInfo(text).keyId;
      } catch (e) {
        throw new ModuleError(`Not a valid key ${isPubkey(a.key) ? '(key text)' : a.key}: ${(e as Error).message}`);
      }
    }
    const id = keyid!;
    const short = id.slice(-8);
    const have = (await installed((c) => ctx.probe(c))).some((v) => v.endsWith(short) || id.endsWith(v));
    const result = { keyid: id };
    if (a.state === 'absent') return have ? change(`erase gpg-pubkey-${short.toLowerCase()}`, { erase: short.toLowerCase() }, { result }) : ok(result);
    if (have) return ok(result);
    if (text === undefined) throw new ModuleError('When importing a key, a valid file must be given');
    if (a.fingerprint) {
      const want = a.fingerprint.replace(/ /g, '').toUpperCase();
      const got = pgpKeyInfo(text).fingerprint;
      if (want !== got) throw new ModuleError(`The specified fingerprint, '${want}', does not match the key fingerprint '${got}'`);
    }
    return change(`rpm --import key ${id}`, { import: text }, { result });
  },
  async apply(ctx, _a, plan) {
    if (plan.erase) {
      await ctx.runOk(`rpm --erase --allmatches ${shq(`gpg-pubkey-${plan.erase}`)}`);
      return;
    }
    await ctx.runOk(`_t=$(mktemp) || exit 1; cat >"$_t" && rpm --import "$_t"; _r=$?; rm -f "$_t"; exit $_r`, { stdin: Buffer.from(plan.import!) });
  },
});
