/**
 * firewalld (ansible.posix.firewalld): a service, port, source or interface enabled/disabled in a zone, in
 * the runtime and/or permanent configuration. Idempotent through --query-*. Uses firewall-cmd when the
 * daemon runs, else firewall-offline-cmd (permanent configuration only, see gw-firewalld-plan.ts).
 *
 * Ansible's rules for the two switches: `immediate` (runtime) defaults to false, but is assumed when
 * `permanent` is false. Differences from Ansible: when firewalld is not running, a request for both runtime
 * and permanent changes the permanent configuration and warns (Ansible fails unless offline: true); rich
 * rules, masquerade, icmp blocks and zone management are not implemented (the arguments are refused).
 */
import { ArgsError, ModuleError, Type, change, defineFact, defineModule, ok, type ResultData, type Static } from '../../../src/contract/index.js';
import { fwFactScript, parseFwFacts, planFirewalld, type FwFacts, type FwItem, type FwPlan } from './firewalld-plan.js';
import { isHostname, looksLikeAddress, parsePrefix } from '../../../lib/net/prefix.js';

const Args = Type.Object(
  {
    service: Type.Optional(Type.String({ description: 'a firewalld service, e.g. ipsec (ah, esp, udp/500, udp/4500, tcp/4500)' })),
    port: Type.Optional(Type.String({ description: 'PORT/PROTO or FROM-TO/PROTO, e.g. 4500/udp' })),
    source: Type.Optional(Type.String({ description: 'a source address or CIDR bound to the zone, e.g. the on-prem subnet in zone trusted' })),
    interface: Type.Optional(Type.String({ description: 'an interface bound to the zone' })),
    zone: Type.Optional(Type.String({ description: 'the zone (default: the default zone)' })),
    state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')], {
      description: 'enabled: add the item to the zone (--add-*); disabled: remove it (--remove-*)',
    }),
    permanent: Type.Optional(Type.Boolean({ description: 'change the permanent configuration (survives reloads and reboots)' })),
    immediate: Type.Boolean({ default: false, description: 'change the runtime configuration too (assumed when permanent is false)' }),
    offline: Type.Optional(Type.Boolean({ description: 'accepted for compatibility: firewall-offline-cmd is used whenever the daemon is not running' })),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

const KINDS = ['service', 'port', 'source', 'interface'] as const;

export function itemOf(a: Args): FwItem {
  const given = KINDS.filter((k) => a[k] !== undefined);
  if (given.length === 0) throw new ArgsError('firewalld: one of service, port, source, interface is required');
  if (given.length > 1) throw new ArgsError(`firewalld: ${given.join(', ')} are mutually exclusive (one item per task)`, `/${given[1]}`);
  const kind = given[0]!;
  const value = a[kind]!.trim();
  const bad = (why: string): never => {
    throw new ArgsError(`firewalld: ${kind} '${value}' ${why}`, `/${kind}`);
  };
  if (kind === 'service' && !/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(value)) bad('is not a service name');
  if (kind === 'port') {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?\/(tcp|udp|sctp|dccp)$/.exec(value);
    if (!m) bad('must be PORT/PROTO or FROM-TO/PROTO with proto tcp, udp, sctp or dccp (e.g. 4500/udp)');
    const lo = Number(m![1]);
    const hi = Number(m![2] ?? m![1]);
    if (lo < 1 || hi > 65535 || hi < lo) bad('is out of range (1-65535)');
  }
  if (kind === 'source') {
    const isMac = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(value);
    if (!value.startsWith('ipset:') && !isMac) {
      if (!looksLikeAddress(value)) bad('must be an address, a CIDR, a MAC address or ipset:NAME');
      const p = parsePrefix(value);
      if (!p) bad('is not a valid address or CIDR');
      if (p!.hostBits) bad(`has host bits set: did you mean ${p!.network}/${p!.bits}?`);
    }
  }
  if (kind === 'interface' && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(value)) bad('is not an interface name');
  return { kind, value };
}

const fwFact = defineFact<{ item: FwItem; zone?: string }, FwFacts>({
  name: 'firewalld',
  command: (q) => fwFactScript(q.item, q.zone),
  parse: (r) => parseFwFacts(r.stdout),
});

export const firewalld = defineModule({
  name: 'firewalld',
  aliases: ['ansible.posix.firewalld'],
  description:
    'Enable/disable a firewalld service, port, source or interface in a zone (runtime and/or permanent); firewall-offline-cmd when the daemon is not running',
  examples: `- name: IKE and ESP through the gateway's firewall, now and after a reboot
  ansible.posix.firewalld:
    service: ipsec
    state: enabled
    permanent: true
    immediate: true
- name: the Azure VNet is a trusted source on the gateway
  ansible.posix.firewalld:
    source: 10.0.0.0/16
    zone: trusted
    state: enabled
    permanent: true
    immediate: true
- name: slurmd and srun ports on a cloud node
  ansible.posix.firewalld:
    port: 6818/tcp
    state: enabled
    permanent: true
`,
  returns: {
    'service/port/source/interface': 'the item managed, under its kind as the key',
    zone: 'the zone ((default) when not given)',
    state: 'enabled or disabled',
    permanent: 'whether the permanent configuration is managed',
    immediate: 'whether the runtime configuration is managed',
    firewalld_running: 'whether the daemon was running',
    commands: 'after a change: the firewall-cmd / firewall-offline-cmd commands run',
  },
  args: Args,
  validate(a) {
    itemOf(a);
    if (a.zone !== undefined && !isHostname(a.zone.replace(/_/g, '-'))) throw new ArgsError(`firewalld: zone '${a.zone}' is not a zone name`, '/zone');
  },
  async check(ctx, a) {
    const item = itemOf(a);
    const permanent = a.permanent ?? false;
    const runtime = a.immediate || !permanent;
    const f = await ctx.fact(fwFact, { item, zone: a.zone });
    let plan: FwPlan;
    try {
      plan = planFirewalld({ item, zone: a.zone, enabled: a.state === 'enabled', permanent, runtime }, f);
    } catch (e) {
      throw new ModuleError(`firewalld: ${(e as Error).message}`);
    }
    const result: ResultData = {
      [item.kind]: item.value,
      zone: a.zone ?? '(default)',
      state: a.state,
      permanent,
      immediate: runtime,
      firewalld_running: f.running,
    };
    for (const w of plan.warnings) ctx.warn(`firewalld: ${w}`);
    if (!plan.commands.length) return ok(result);
    return change(plan.summary, plan, { result: { ...result, msg: plan.summary } });
  },
  async apply(ctx, _a, plan) {
    for (const c of plan.commands) {
      const r = await ctx.run(`${c} 2>&1`);
      if (r.rc !== 0) throw new ModuleError(`firewalld: ${c} failed: ${r.stdout.trim() || `rc=${r.rc}`}`, { rc: r.rc, stdout: r.stdout });
    }
    return { commands: plan.commands };
  },
});
