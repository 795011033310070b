/**
 * wireguard_key: the private key of a WireGuard interface in DIR/IF.key (root 0600), generated on the host
 * once (`wg genkey` under umask 077, straight into its file) or written from a vault value (private_key, a
 * secret argument: on stdin only, masked everywhere). Returns the public key, so a play can give each end
 * the other's before the wireguard module writes the confs. The controller never reads the file: a vault key
 * is compared by its public key (computed here), a generated one is never replaced.
 */
import { ArgsError, Type, change, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { IFNAME, KEY, applyKey, confFile, keyFile, planKey, wgKeyFact, wgPublicKey, type KeyPlan } from '../../../lib/net/wireguard-key.js';

const Args = Type.Object(
  {
    name: Type.String({ default: 'wg0', description: 'the interface: the key goes to DIR/NAME.key' }),
    private_key: Type.Optional(Type.String({ description: 'the private key from a vault (`wg genkey` output); unset: generated on the host once and kept' })),
    dir: Type.String({ default: '/etc/wireguard', description: 'the directory of the key (created 0700 when missing)' }),
  },
  { additionalProperties: false },
);

export const wireguardKey = defineModule({
  name: 'wireguard_key',
  description:
    "A WireGuard private key in /etc/wireguard/IF.key (root 0600): generated on the host once (never leaves it) or from a vault value; returns the public key for the peer's play",
  examples: `- name: this gateway's WireGuard key (generated here once)
  wireguard_key:
    name: wg0
  register: wg_key
- name: or the key from the vault
  wireguard_key:
    name: wg0
    private_key: "{{ vault_wg_private_key }}"
  no_log: true
`,
  returns: {
    name: 'the interface',
    path: 'the key file',
    public_key: 'the public key (`wg pubkey`); unknown in check mode before a key is generated',
    key: "what was done: 'generate', 'adopt' (the PrivateKey line of an existing NAME.conf, moved on the host), 'write' (the vault key), 'attrs' (owner/mode fixed)",
  },
  args: Args,
  argAliases: { interface: 'name' },
  secretArgs: ['private_key'],
  validate(a) {
    if (!IFNAME.test(a.name))
      throw new ArgsError(`wireguard_key: name '${a.name}' must be 1-15 letters, digits or _=+.- (wg-quick's interface names)`, '/name');
    if (!a.dir.startsWith('/')) throw new ArgsError('wireguard_key: dir must be an absolute path', '/dir');
    // never quote the key in a message
    if (a.private_key !== undefined && !KEY.test(a.private_key.trim()))
      throw new ArgsError('wireguard_key: private_key is not a WireGuard key (44 characters of base64 ending in =, as `wg genkey` prints)', '/private_key');
  },
  async check(ctx, a) {
    const dir = a.dir.replace(/\/+$/, '') || '/';
    const path = keyFile(dir, a.name);
    const st = await ctx.fact(wgKeyFact, { keyFile: path, confFile: confFile(dir, a.name) });
    const result: ResultData = { name: a.name, path };
    const pub = a.private_key !== undefined ? wgPublicKey(a.private_key) : st.publicKey;
    if (pub) result.public_key = pub;
    const plan = planKey(st, path, { key: a.private_key, confFile: confFile(dir, a.name) });
    if (!plan) return ok(result);
    return change<KeyPlan>(plan.summary, plan, {
      result,
      diff: [
        {
          before: st.exists ? '(private key)\n' : '',
          after: plan.step.kind === 'attrs' ? '(private key)\n' : '(private key: new)\n',
          beforeHeader: path,
          afterHeader: path,
        },
      ],
    });
  },
  async apply(ctx, a, plan) {
    const path = keyFile(a.dir.replace(/\/+$/, '') || '/', a.name);
    const printed = await applyKey(ctx, plan.step, path);
    const public_key = a.private_key !== undefined ? wgPublicKey(a.private_key) : printed;
    return { ...(public_key ? { public_key } : {}), key: plan.step.kind };
  },
});
