/**
 * libreswan_secret: the pre-shared key of one tunnel in /etc/ipsec.d/NAME.secrets (ipsec.secrets(5)):
 *
 *   LEFT RIGHT : PSK "key"        (LEFT/RIGHT: the two ends' IDs or addresses, or %any)
 *
 * The key is always double-quoted and the file is root's, mode 0600, written atomically; the key is a secret
 * argument (masked in every output) and diffs show ******** on both sides, so an old key never shows either.
 * After a change, a running pluto rereads its secrets (`ipsec whack --rereadsecrets`).
 */
import { ArgsError, Type, change, defineModule, ok, type FileDiff, type ResultData } from '../../../src/contract/index.js';
import { OneLine, controlCharIn } from '../../../lib/args/one-line.js';
import { applyText, planRemove, planText, readTextFile, type TextPlan } from '../../../lib/files/text-file.js';
import { plutoFact, rereadSecrets } from '../../../lib/net/libreswan-pluto.js';

const Args = Type.Object(
  {
    name: Type.String({ description: 'the connection (file /etc/ipsec.d/NAME.secrets)' }),
    psk: Type.String({ description: 'the pre-shared key (from a vault); generate one with `openssl rand -base64 24`' }),
    left: OneLine({ default: '%any', description: "the local end's ID or address (as leftid/left of the conn), or %any" }),
    right: OneLine({ default: '%any', description: "the remote end's ID or address, or %any" }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: write the secrets file; absent: remove it (a running pluto rereads either way, see reread)',
    }),
    path: Type.Optional(Type.String({ description: 'the secrets file (default /etc/ipsec.d/NAME.secrets; it must match an include in /etc/ipsec.secrets)' })),
    reread: Type.Boolean({ default: true, description: 'make a running pluto reread its secrets after a change (ipsec whack --rereadsecrets)' }),
  },
  { additionalProperties: false },
);

export const SECRETS_HEADER = '# Managed by tsplay (libreswan_secret): edit the playbook or inventory, not this file.\n';

/** ipsec.secrets(5) selector: an address, @id, %any, or a quoted distinguished name is not supported here. */
const SELECTOR = /^(%any|%any6|@[^\s"]+|[A-Za-z0-9.:_-]+)$/;

export function checkSecretArgs(a: { name: string; psk: string; left: string; right: string }): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a.name)) throw new ArgsError(`libreswan_secret: name '${a.name}' must be letters, digits, '.', '_' or '-'`, '/name');
  for (const side of ['left', 'right'] as const) {
    if (!SELECTOR.test(a[side].trim())) throw new ArgsError(`libreswan_secret: ${side}='${a[side]}' must be an address, an @id or %any`, `/${side}`);
  }
  // never quote the key in a message
  if (a.psk === '') throw new ArgsError('libreswan_secret: psk is empty', '/psk');
  const ctl = controlCharIn(a.psk); // named by kind and position only: never the key itself
  if (a.psk.includes('"') || ctl)
    throw new ArgsError(
      `libreswan_secret: psk must not contain double quotes or line breaks, nor any other control character (ipsec.secrets cannot quote them)${ctl ? `; it contains ${ctl}` : ''}`,
      '/psk',
    );
  if (a.psk.trim() !== a.psk)
    throw new ArgsError('libreswan_secret: psk starts or ends with blanks (a copy-and-paste accident?); the peer would not see them', '/psk');
}

export function secretsLine(left: string, right: string, psk: string): string {
  return `${left.trim()} ${right.trim()} : PSK "${psk}"`;
}

export function renderSecrets(left: string, right: string, psk: string): string {
  return SECRETS_HEADER + secretsLine(left, right, psk) + '\n';
}

const KEY_FIELD = /(:\s*(?:PSK|XAUTH|EAP|PIN|RSA|ECDSA)\s+)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\{[^}]*\}|[^\s#]+)/gi;

/** Every key in secrets-file text replaced by ******** (for diffs: the old key is not a registered secret). */
export function maskSecretsText(text: string): string {
  return text.replace(KEY_FIELD, '$1"********"');
}

function keysOf(text: string): string[] {
  return [...text.matchAll(KEY_FIELD)].map((m) => m[2]!);
}

export const KEY_CHANGED_NOTE = '   # <- key changed (both masked)';

/**
 * Diffs with every key masked. A changed key would then look unchanged (and jsdiff would show nothing), so
 * the new key's line carries a note in the diff (only there: the file gets the plain line).
 */
export function maskDiffs(diffs: FileDiff[]): FileDiff[] {
  return diffs.map((d) => {
    if (d.beforeHeader?.endsWith('(file attributes)')) return d;
    const before = maskSecretsText(d.before);
    let after = maskSecretsText(d.after);
    const old = keysOf(d.before);
    if (old.length && old.join('\n') !== keysOf(d.after).join('\n')) {
      after = after
        .split('\n')
        .map((l) => (keysOf(l).length && !l.trimStart().startsWith('#') ? l + KEY_CHANGED_NOTE : l))
        .join('\n');
    }
    return { ...d, before, after };
  });
}

interface SecretPlan {
  text: TextPlan;
  reread: boolean;
}

export const libreswanSecret = defineModule({
  name: 'libreswan_secret',
  description: 'The PSK of a Libreswan tunnel in /etc/ipsec.d/NAME.secrets (quoted, root 0600, masked everywhere); rereads secrets when pluto runs',
  examples: `- name: the tunnel's pre-shared key, from the vault
  libreswan_secret:
    name: azure
    left: 198.51.100.10
    right: 203.0.113.20
    psk: "{{ vault_azure_vpn_psk }}"
  no_log: true
`,
  returns: {
    name: 'the connection',
    path: 'the secrets file',
    state: 'present or absent',
    reread: 'after a change: whether a running pluto reread its secrets',
  },
  args: Args,
  argAliases: { key: 'psk', conn: 'name' },
  secretArgs: ['psk'],
  validate(a) {
    checkSecretArgs(a);
  },
  async check(ctx, a) {
    const path = a.path ?? `/etc/ipsec.d/${a.name}.secrets`;
    const pluto = await ctx.fact(plutoFact, undefined);
    const f = await readTextFile(ctx, path);
    const result: ResultData = { name: a.name, path, state: a.state };
    const text =
      a.state === 'absent'
        ? planRemove(f, path)
        : planText(f, renderSecrets(a.left, a.right, a.psk), { mode: '0600', owner: 'root', group: 'root', mkdirs: ['/etc/ipsec.d'], dirMode: 0o755 });
    if (!text) return ok(result);
    const reread = a.reread && pluto.running;
    const summary = `${text.summary}${reread ? ', reread secrets' : ''}`;
    return change<SecretPlan>(summary, { text, reread }, { diff: maskDiffs(text.diff), result });
  },
  async apply(ctx, _a, plan) {
    const out = await applyText(ctx, plan.text.steps);
    if (plan.reread) await rereadSecrets(ctx);
    return { ...out, reread: plan.reread };
  },
});
