/**
 * wireguard: one WireGuard interface, DIR/IF.conf (wg-quick(8), root 0600) from typed arguments, brought up and
 * kept in line with it.
 *
 * The private key is in DIR/IF.key (lib/net/wireguard-key.ts: generated on the host when missing, or
 * written by wireguard_key from a vault value) and `PostUp = wg set %i private-key DIR/IF.key` loads it: the
 * conf holds no secret, and the key never reaches the controller. A hand-written conf's PrivateKey line is
 * moved into the key file on the host, and any key line of an old conf is redacted on the host before the
 * controller reads it (diffs show "(redacted on the host)").
 *
 * Refused before the host is touched: addresses without a prefix or equal to their subnet's network address,
 * a peer address outside the interface's subnets, AllowedIPs with host bits, overlapping AllowedIPs between
 * peers (cryptokey routing gives each address to one peer), AllowedIPs holding the interface's own address,
 * malformed keys and endpoints. The new conf is checked with `wg-quick strip` before it replaces the old one.
 *
 * Live: a missing interface is brought up (`wg-quick up`, or `systemctl start wg-quick@IF` where systemd is
 * PID 1 and the conf is in /etc/wireguard). A change of Address or MTU restarts it (down/up). Anything else
 * (peers, ListenPort, a new key) is applied without dropping the tunnel: `wg syncconf IF` reads
 * `wg-quick strip IF` plus the key file's PrivateKey through a pipe (POSIX sh has no process substitution;
 * a syncconf without PrivateKey would clear the interface's key). The live peers are compared too, so a
 * peer changed by hand (`wg set`) is put back, and so are the routes through the interface (syncconf sets
 * peers only: the routes of a new or removed AllowedIPs are added or deleted as wg-quick up would make them).
 */
import { ModuleError, Type, change, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import { fileStateFact } from '../../../lib/files/index.js';
import { applyText, planRemove, planText, type TextFile, type TextPlan } from '../../../lib/files/text-file.js';
import { shq } from '../../../lib/shell/quote.js';
import { applyKey, planKey, wgKeyFact, type KeyPlan } from '../../../lib/net/wireguard-key.js';
import { isDefaultPrefix, parsePrefix, prefixText } from '../../../lib/net/prefix.js';
import {
  confFile,
  checkNames,
  checkSpec,
  hostOf,
  interfaceAddresses,
  keyFile,
  peerPrefixes,
  renderConf,
  samePeers,
  wantedPeers,
  type WgSpec,
} from './wireguard-render.js';
import { wgLiveFact, type WgLive } from './wireguard-fact.js';

const Peer = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'a label, written as a comment above the [Peer] (e.g. the other site)' })),
    public_key: Type.String({ description: "the peer's public key (`wg pubkey`; wireguard_key or this module returns it as public_key on the peer)" }),
    address: Type.Optional(
      Type.String({ description: "the peer's own tunnel address (10.200.0.2): must be in this interface's subnet; added to AllowedIPs as /32 (/128)" }),
    ),
    allowed_ips: Type.Array(Type.String(), {
      default: [],
      description: "the prefixes routed to this peer (the other site's subnets, e.g. 172.31.0.0/16); must not overlap another peer's",
    }),
    endpoint: Type.Optional(Type.String({ description: 'HOST:PORT where the peer listens (omit it on an end that only answers: the other end initiates)' })),
    persistent_keepalive: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'seconds between keepalives (25 keeps a NAT mapping open; 0 or unset: off)' }),
    ),
  },
  { additionalProperties: false },
);

const Args = Type.Object(
  {
    name: Type.String({ default: 'wg0', description: 'the interface (also the file names DIR/NAME.conf and DIR/NAME.key)' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: the conf written and the interface up; absent: the interface down, the conf and the key file removed',
    }),
    address: Type.Array(Type.String(), {
      default: [],
      description: "this end's tunnel address(es) with the subnet's prefix length ([Interface] Address), e.g. 10.200.0.1/24; a change restarts the interface",
    }),
    listen_port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'UDP port to listen on ([Interface] ListenPort; 51820 by convention); unset: a random port (fine for an end that only initiates)',
      }),
    ),
    mtu: Type.Optional(
      Type.Integer({
        minimum: 1280,
        maximum: 9000,
        description: "the interface's MTU (default: wg-quick's, 80 below the route's); a change restarts the interface",
      }),
    ),
    peers: Type.Array(Peer, { default: [], description: 'the [Peer] sections: public_key, address, allowed_ips, endpoint, persistent_keepalive' }),
    dir: Type.String({ default: '/etc/wireguard', description: "where NAME.conf and NAME.key are (systemd's wg-quick@NAME reads /etc/wireguard only)" }),
    up: Type.Boolean({ default: true, description: 'bring the interface up and keep it in line with the conf (false: only write the files)' }),
    enabled: Type.Boolean({
      default: true,
      description: 'where systemd is PID 1: wg-quick@NAME enabled at boot (without systemd there is no boot-time start)',
    }),
    userspace_implementation: Type.Optional(
      Type.String({
        description:
          "the userspace WireGuard wg-quick starts when the kernel has no wireguard module (WG_QUICK_USERSPACE_IMPLEMENTATION; wg-quick's default: wireguard-go)",
      }),
    ),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export function specOf(a: Args): WgSpec {
  return { name: a.name, dir: a.dir.replace(/\/+$/, '') || '/', address: a.address, listen_port: a.listen_port, mtu: a.mtu, peers: a.peers };
}

/** `wg-quick strip` must read the new file: it only takes a path ending in IF.conf, so a copy goes into a 0700 temp dir. */
export function validateCommand(name: string): string {
  return `_d=$(mktemp -d) && cp %s "$_d"/${shq(name + '.conf')} && wg-quick strip "$_d"/${shq(name + '.conf')} >/dev/null; _r=$?; rm -rf "$_d"; exit $_r`;
}

type Live = 'up' | 'restart' | 'sync';

interface WgPlan {
  key?: KeyPlan;
  text?: TextPlan;
  live?: Live;
  systemd: boolean;
  enable: boolean;
  routes?: RoutePlan;
  remove?: TextPlan[];
  down?: boolean;
}

/** A command whose output goes to a temp file first (wireguard-go, started by wg-quick, must not hold the session's pipes). */
function quiet(cmd: string): string {
  return `_o=$(mktemp) || exit 1; ${cmd} </dev/null >"$_o" 2>&1; _r=$?; cat "$_o"; rm -f "$_o"; exit $_r`;
}

export function syncCommand(name: string, conf: string, key: string): string {
  // PrivateKey from the key file first: wg syncconf without it would clear the interface's key
  return `{ printf '[Interface]\\nPrivateKey = '; cat -- ${shq(key)}; wg-quick strip ${shq(conf)} | sed '/^\\[Interface\\]/d'; } | wg syncconf ${shq(name)} /dev/stdin`;
}

export function liveCommand(live: Live | 'down', a: { name: string; conf: string; key: string; systemd: boolean; unitActive?: boolean }): string {
  const unit = shq(`wg-quick@${a.name}`);
  const c = shq(a.conf);
  if (live === 'sync') return syncCommand(a.name, a.conf, a.key);
  if (a.systemd) {
    if (live === 'up') return `systemctl start -- ${unit}`;
    if (live === 'down') return a.unitActive ? `systemctl stop -- ${unit}` : quiet(`wg-quick down ${c}`);
    return a.unitActive ? `systemctl restart -- ${unit}` : `{ (${quiet(`wg-quick down ${c}`)}) && systemctl start -- ${unit}; }`;
  }
  if (live === 'up') return quiet(`wg-quick up ${c}`);
  if (live === 'down') return quiet(`wg-quick down ${c}`);
  return quiet(`wg-quick down ${c} && wg-quick up ${c}`);
}

/** Up, restart (Address, MTU, a unit that is not the one running it), sync (the rest) or nothing. */
export function planLive(s: WgSpec, live: WgLive, o: { confChanged: boolean; keyChanged: boolean; publicKey?: string; systemd: boolean }): Live | undefined {
  if (!live.link) return 'up';
  const want = interfaceAddresses(s.address)
    .map((p) => `${hostOf(p).address}/${p.bits}`)
    .sort();
  if (want.join(',') !== live.addresses.join(',')) return 'restart';
  if (s.mtu !== undefined && live.mtu !== s.mtu) return 'restart';
  if (o.systemd && !live.unitActive) return 'restart';
  if (o.confChanged || o.keyChanged) return 'sync';
  if (s.listen_port !== undefined && live.listenPort !== s.listen_port) return 'sync';
  if (o.publicKey && live.publicKey !== o.publicKey) return 'sync';
  if (!samePeers(wantedPeers(s), live.peers)) return 'sync';
  return undefined;
}

export interface RoutePlan {
  add: string[];
  del: string[];
}

/**
 * The routes `wg-quick up` makes (each peer's AllowedIPs through the interface, except what the interface's
 * own subnet already covers), kept in line after a syncconf, which sets peers only: a new AllowedIPs gets
 * its route, a removed one loses it. Left to wg-quick: a full tunnel (0.0.0.0/0 or ::/0: policy routing).
 */
export function planRoutes(s: WgSpec, live: WgLive): RoutePlan | undefined {
  const own = interfaceAddresses(s.address);
  const want = new Set<string>();
  for (const p of s.peers)
    for (const t of peerPrefixes(p)) {
      const q = parsePrefix(t)!;
      if (isDefaultPrefix(q)) return undefined;
      if (!own.some((o) => o.family === q.family && o.first <= q.first && q.last <= o.last)) want.add(prefixText(q));
    }
  const have = new Set(
    live.routes
      .map((r) => parsePrefix(r))
      .filter((p): p is NonNullable<typeof p> => !!p)
      .map(prefixText),
  );
  const add = [...want].filter((w) => !have.has(w)).sort();
  const del = [...have].filter((h) => !want.has(h)).sort();
  return add.length || del.length ? { add, del } : undefined;
}

export function routeCommands(name: string, r: RoutePlan): string {
  return [...r.del.map((d) => `ip route del ${shq(d)} dev ${shq(name)}`), ...r.add.map((a) => `ip route replace ${shq(a)} dev ${shq(name)}`)]
    .map((c) => `${c} || exit 1`)
    .join('\n');
}

const LIVE_WHAT: Record<Live, string> = {
  up: 'bring the interface up',
  restart: 'restart the interface (Address/MTU changed)',
  sync: 'wg syncconf (the tunnel stays up)',
};

export const wireguard = defineModule({
  name: 'wireguard',
  description:
    'A WireGuard interface: DIR/IF.conf (root 0600) from typed arguments, the private key generated on the host (never leaves it), brought up; peer changes applied live (wg syncconf), Address changes by a restart',
  examples: `- name: the tunnel to the AWS gateway (on-prem end)
  wireguard:
    name: wg0
    address: [10.200.0.1/24]
    listen_port: 51820
    peers:
      - name: aws
        public_key: "{{ hostvars['wg-aws'].wg_key.public_key }}"
        address: 10.200.0.2
        allowed_ips: [172.31.0.0/16]
        endpoint: 203.0.113.20:51820
        persistent_keepalive: 25
  register: wg
`,
  returns: {
    name: 'the interface',
    path: 'the conf (DIR/NAME.conf)',
    key_file: 'the private key file (DIR/NAME.key, root 0600)',
    public_key: "this end's public key (for the peer's public_key); unknown in check mode before the key is generated",
    state: 'present or absent',
    live: "what was done to the running interface: 'up', 'restart', 'sync' (wg syncconf, the tunnel stayed up) or 'down'",
    key: "what was done to the key file: 'generate', 'adopt' (from the old conf's PrivateKey), 'attrs'",
    routes: 'routes through the interface added/deleted after a wg syncconf ({add, del}: prefixes), as wg-quick up makes them',
  },
  args: Args,
  argAliases: { interface: 'name' },
  validate(a) {
    if (a.state === 'absent') checkNames(specOf(a));
    else checkSpec(specOf(a));
  },
  async check(ctx, a) {
    const s = specOf(a);
    const conf = confFile(s.dir, s.name);
    const key = keyFile(s.dir, s.name);
    const [live, kst, facts] = await Promise.all([
      ctx.fact(wgLiveFact, { name: s.name, conf }),
      ctx.fact(wgKeyFact, { keyFile: key, confFile: conf }),
      ctx.fact(fileStateFact, { items: [{ path: conf, follow: true, checksum: 'sha1' }] }),
    ]);
    const result: ResultData = { name: s.name, path: conf, key_file: key, state: a.state };
    if (kst.publicKey) result.public_key = kst.publicKey;
    if (!live.wg || !live.wgQuick) {
      const missing = [!live.wg && 'wg', !live.wgQuick && 'wg-quick'].filter(Boolean).join(' and ');
      if (!ctx.checkMode && a.state === 'present')
        throw new ModuleError(
          `wireguard: ${missing} missing: install wireguard-tools first (package: name=wireguard-tools; and wireguard-go where the kernel has no wireguard module)`,
        );
      if (a.state === 'present') ctx.warn(`wireguard: ${missing} not installed (yet): the conf cannot be checked with wg-quick strip in check mode`);
    }
    const info = facts.files[0]!;
    const systemd = live.init === 'systemd' && s.dir === '/etc/wireguard';
    // the conf as the host showed it, key lines redacted there: the diff's "before"
    const f: TextFile = {
      facts,
      info: { ...info, content: live.conf === null ? undefined : Buffer.from(live.conf) },
      text: live.conf,
      isLink: info.stat?.type === 'link',
    };

    if (a.state === 'absent') {
      const remove = [
        planRemove(f, conf),
        kst.exists
          ? { steps: [{ kind: 'run' as const, what: `removing ${key}`, command: `rm -f -- ${shq(key)}` }], diff: [], summary: `remove ${key}` }
          : undefined,
      ].filter((x): x is TextPlan => !!x);
      const down = live.link;
      if (!remove.length && !down) return ok(result);
      const what = [down ? 'take the interface down' : '', ...remove.map((r) => r.summary)].filter(Boolean).join(', ');
      return change<WgPlan>(
        what,
        { remove, down, systemd, enable: false },
        { diff: remove.flatMap((r) => r.diff), result: { ...result, public_key: undefined } },
      );
    }

    const keyPlan = planKey(kst, key, { confFile: conf });
    const text = planText(f, renderConf(s), {
      mode: '0600',
      owner: 'root',
      group: 'root',
      validate: live.wgQuick ? validateCommand(s.name) : undefined,
      mkdirs: [s.dir],
      dirMode: 0o700,
    });
    const liveStep = a.up
      ? planLive(s, live, { confChanged: !!text, keyChanged: !!keyPlan && keyPlan.step.kind !== 'attrs', publicKey: kst.publicKey, systemd })
      : undefined;
    const enable = a.up && systemd && a.enabled && !live.unitEnabled;
    // up and restart run wg-quick, which makes the routes; a sync does not
    const routes = a.up && live.link && (liveStep === undefined || liveStep === 'sync') ? planRoutes(s, live) : undefined;
    if (!keyPlan && !text && !liveStep && !enable && !routes) return ok(result);
    const routeWhat = routes ? `routes through ${s.name}: ${[...routes.add.map((r) => `+${r}`), ...routes.del.map((r) => `-${r}`)].join(' ')}` : '';
    const what = [keyPlan?.summary, text?.summary, liveStep ? LIVE_WHAT[liveStep] : '', routeWhat, enable ? `enable wg-quick@${s.name}` : '']
      .filter(Boolean)
      .join(', ');
    if (a.up && !systemd) result.msg = `${what} (no systemd${live.init === 'systemd' ? ` for ${s.dir}` : ''}: no boot-time start)`;
    return change<WgPlan>(what, { key: keyPlan, text, live: liveStep, systemd, enable, routes }, { diff: text?.diff, result });
  },
  async apply(ctx, a, plan) {
    const s = specOf(a);
    const conf = confFile(s.dir, s.name);
    const key = keyFile(s.dir, s.name);
    const out: ResultData = {};
    const env = a.userspace_implementation ? { env: { WG_QUICK_USERSPACE_IMPLEMENTATION: a.userspace_implementation } } : undefined;
    const live = async (step: Live | 'down', unitActive?: boolean) => {
      await ctx.runOk(liveCommand(step, { name: s.name, conf, key, systemd: plan.systemd, unitActive }), env);
      out.live = step;
    };
    if (plan.remove || plan.down) {
      if (plan.down) {
        const st = await ctx.fact(wgLiveFact, { name: s.name, conf });
        await live('down', st.unitActive);
      }
      for (const r of plan.remove ?? []) await applyText(ctx, r.steps);
      return out;
    }
    if (plan.key) {
      const pub = await applyKey(ctx, plan.key.step, key);
      if (pub) out.public_key = pub;
      out.key = plan.key.step.kind;
    }
    if (plan.text) Object.assign(out, await applyText(ctx, plan.text.steps));
    if (plan.live) {
      const unitActive = plan.systemd ? (await ctx.probe(`systemctl is-active -- ${shq(`wg-quick@${s.name}`)}`)).stdout.trim() === 'active' : undefined;
      await live(plan.live, unitActive);
    }
    if (plan.routes) {
      await ctx.runOk(routeCommands(s.name, plan.routes));
      out.routes = plan.routes;
    }
    if (plan.enable) await ctx.runOk(`systemctl enable -- ${shq(`wg-quick@${s.name}`)}`);
    return out;
  },
});
