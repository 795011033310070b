/**
 * route: a static route to a prefix via a gateway, applied now (`ip route replace`) and made persistent, so
 * a reboot does not lose it (procedures §5.6). Ansible core has no such module; the name and arguments follow
 * community.general's nmcli-free conventions (dest, gateway, interface, metric, state).
 *
 * Persistent form, chosen from what the host has (persist: auto): /etc/sysconfig/network-scripts →
 * route-IFACE (EL); ifupdown → an /etc/network/if-up.d hook (Debian); see gw-route-plan.ts. Idempotent: the
 * kernel's `ip route show exact PREFIX` and the file's content.
 */
import {
  ArgsError,
  ModuleError,
  Type,
  change,
  defineFact,
  defineModule,
  ok,
  type FileDiff,
  type ResultData,
  type Static,
} from '../../../src/contract/index.js';
import {
  debianHookFile,
  editDebianHook,
  editRedhatRoutes,
  parseRouteFacts,
  planKernelRoute,
  redhatRouteFile,
  routeFactScript,
  type PersistLayout,
  type RouteFacts,
  type RouteWant,
} from './route-plan.js';
import { parseAddress, parsePrefix, prefixText } from '../../../lib/net/prefix.js';
import { runSteps, type FileStep } from '../../../lib/files/index.js';
import { planRemove, planText, readTextFile } from '../../../lib/files/text-file.js';

const Args = Type.Object(
  {
    dest: Type.String({ description: 'the destination prefix (CIDR), e.g. the cloud subnet 10.0.0.0/16' }),
    gateway: Type.Optional(Type.String({ description: 'the next hop, directly connected (e.g. the VPN gateway 10.2.0.1); required with state=present' })),
    interface: Type.Optional(Type.String({ description: 'the interface (default: the one the gateway is reached through)' })),
    metric: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 4294967295, description: 'route metric (lower wins), in the kernel route and the persistent entry' }),
    ),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: this route (other routes to dest are deleted) and its persistent entry; absent: delete the routes to dest (via gateway, if given)',
    }),
    persist: Type.Union([Type.Literal('auto'), Type.Literal('redhat'), Type.Literal('debian'), Type.Literal('none')], {
      default: 'auto',
      description: 'where the route survives reboots: auto (from what the host has), redhat (route-IFACE), debian (ifupdown hook), none (live only)',
    }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

export function wantOf(a: Args): RouteWant {
  const p = parsePrefix(a.dest);
  if (!p || !a.dest.includes('/')) throw new ArgsError(`route: dest '${a.dest}' is not a prefix (CIDR such as 10.0.0.0/16)`, '/dest');
  if (p.hostBits) throw new ArgsError(`route: dest '${a.dest}' has host bits set: did you mean ${prefixText(p)}?`, '/dest');
  if (a.gateway !== undefined) {
    const g = parseAddress(a.gateway);
    if (!g) throw new ArgsError(`route: gateway '${a.gateway}' is not an IP address`, '/gateway');
    if (g.family !== p.family) throw new ArgsError(`route: gateway ${a.gateway} and dest ${a.dest} are not the same address family`, '/gateway');
  } else if (a.state === 'present') throw new ArgsError('route: gateway is required with state=present', '/gateway');
  if (a.interface !== undefined && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(a.interface))
    throw new ArgsError(`route: interface '${a.interface}' is not an interface name`, '/interface');
  return { dest: p, gateway: a.gateway?.trim(), dev: a.interface, metric: a.metric, present: a.state === 'present' };
}

const routeFact = defineFact<{ dest: string; family: 4 | 6; gateway?: string; needDev: boolean }, RouteFacts>({
  name: 'route',
  command: routeFactScript,
  parse: (r) => parseRouteFacts(r.stdout),
});

function chooseLayout(a: Args, f: RouteFacts, osFamily: unknown): PersistLayout | undefined {
  if (a.persist === 'none') return undefined;
  if (a.persist !== 'auto') return a.persist;
  if (f.layouts.length > 1) return osFamily === 'Debian' ? 'debian' : 'redhat';
  if (f.layouts.length === 1) return f.layouts[0];
  throw new ModuleError(
    'route: cannot make the route persistent: neither /etc/sysconfig/network-scripts (EL) nor ifupdown (Debian) is on this host; set persist: none (live route only) and persist it with your network manager',
  );
}

interface RoutePlan {
  kernel: string[];
  steps: FileStep[];
}

export const route = defineModule({
  name: 'route',
  description: 'A static route via a gateway: set now (ip route replace) and persisted (EL route-IFACE or a Debian ifupdown hook)',
  examples: `- name: the Azure VNet through the VPN gateway, now and after a reboot
  route:
    dest: 10.0.0.0/16
    gateway: 10.2.0.1
- name: no route left to the retired VNet
  route:
    dest: 10.1.0.0/16
    state: absent
`,
  returns: {
    dest: 'the prefix',
    gateway: 'the next hop',
    interface: 'the interface used',
    state: 'present or absent',
    persist_file: 'the persistent file (route-IFACE or the ifupdown hook), when there is one',
  },
  args: Args,
  argAliases: { prefix: 'dest', via: 'gateway', dev: 'interface' },
  validate(a) {
    wantOf(a);
  },
  async check(ctx, a) {
    const w = wantOf(a);
    const dest = prefixText(w.dest);
    const f = await ctx.fact(routeFact, { dest, family: w.dest.family, gateway: w.gateway, needDev: w.dev === undefined });
    if (f.routes.some((e) => e.proto === 'kernel'))
      throw new ModuleError(`route: ${dest} is a directly connected network on ${f.routes.find((e) => e.proto === 'kernel')!.dev}: it needs no gateway`);
    let dev = w.dev;
    if (w.present && dev === undefined) {
      if (f.getError || !f.getDev)
        throw new ModuleError(`route: the gateway ${w.gateway} is not reachable from this host${f.getError ? ` (${f.getError})` : ''}`);
      if (f.getVia)
        throw new ModuleError(
          `route: the gateway ${w.gateway} is not on a directly connected network (it is itself reached via ${f.getVia}); give a next hop on the local subnet`,
        );
      dev = f.getDev;
    }
    if (!w.present && dev === undefined) dev = f.routes.find((e) => e.dev)?.dev;
    const want: RouteWant = { ...w, dev };
    const kernel = planKernelRoute(want, f, dest);

    const steps: FileStep[] = [];
    const diff: FileDiff[] = [];
    // absent with no route and no interface given: nothing to look for in any file
    const layout = dev === undefined ? undefined : chooseLayout(a, f, ctx.vars['ansible_os_family']);
    let file: string | undefined;
    if (layout && dev !== undefined) {
      file = layout === 'redhat' ? redhatRouteFile(dev, w.dest.family) : debianHookFile(dev);
      const tf = await readTextFile(ctx, file);
      const next = layout === 'redhat' ? editRedhatRoutes(tf.text, want, dev) : editDebianHook(tf.text, want, dev);
      if (next !== null) {
        const tp = next === '' && layout === 'debian' ? planRemove(tf, file) : planText(tf, next, { mode: layout === 'debian' ? '0755' : '0644' });
        if (tp) {
          steps.push(...tp.steps);
          diff.push(...tp.diff);
        }
      }
    }
    const result: ResultData = { dest, gateway: w.gateway, interface: dev, state: a.state, ...(file ? { persist_file: file } : {}) };
    if (!kernel.length && !steps.length) return ok(result);
    const what = [kernel.length ? kernel.join('; ') : '', steps.length ? `${w.present ? 'persist in' : 'remove from'} ${file}` : ''].filter(Boolean).join(', ');
    return change<RoutePlan>(what, { kernel, steps }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    if (plan.kernel.length) {
      const r = await ctx.run(`${plan.kernel.map((c) => `${c} || exit $?`).join('\n')}`);
      if (r.rc !== 0) throw new ModuleError(`route: ${r.stderr.trim() || r.stdout.trim() || `rc=${r.rc}`}`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    if (plan.steps.length) await runSteps(ctx, plan.steps);
  },
});
