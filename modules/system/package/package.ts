/** package: install/remove packages with whatever manager the host has (apt, dnf or yum). */
import { ModuleError, Type, defineModule } from '../../../src/contract/index.js';
import type { TSchema } from '@sinclair/typebox';
import { Args as AptSchema, NameArg, PkgStateArg, aptApply, aptDecide, toAptArgs, type AptModuleArgs } from '../apt/apt.js';
import { Args as DnfSchema, dnfApply, dnfDecide, toDnfArgs } from '../dnf/dnf.js';
import { pkgFact, pkgNames } from '../../../lib/packages/pkg-facts.js';
import type { AptPlan, PkgState } from '../../../lib/packages/apt-plan.js';
import type { DnfPlan } from '../../../lib/packages/dnf-plan.js';

/**
 * As ansible-core's package action: every other argument goes to the host's backend module (apt, or dnf/yum),
 * which takes it or refuses it. Here each backend argument is accepted, unset unless given (the backend's
 * default applies), and one the host's backend does not have fails the task with the backend's message.
 */
const OWN = new Set(['name', 'state', 'use']);
const backendProps: Record<string, TSchema> = {};
for (const [k, prop] of [...Object.entries(AptSchema.properties), ...Object.entries(DnfSchema.properties)]) {
  if (OWN.has(k) || backendProps[k]) continue;
  const { default: _unused, ...rest } = prop as TSchema & { default?: unknown };
  const where = k in AptSchema.properties ? (k in DnfSchema.properties ? 'apt, dnf' : 'apt') : 'dnf';
  backendProps[k] = Type.Optional({ ...rest, description: `(${where} hosts) ${String(rest['description'] ?? '')}` } as TSchema);
}

const Args = Type.Object(
  {
    name: NameArg,
    state: PkgStateArg,
    use: Type.Union([Type.Literal('auto'), Type.Literal('apt'), Type.Literal('dnf'), Type.Literal('yum')], {
      default: 'auto',
      description: "auto: the host's manager (apt, else dnf, else yum); another value fails unless the host uses that one (it is not forced)",
    }),
    ...backendProps,
  },
  { additionalProperties: false },
);

type Plan = { mgr: 'apt'; plan: AptPlan } | { mgr: 'dnf' | 'yum'; plan: DnfPlan };

/** The backend's arguments: the ones given, the backend's defaults for the rest; unknown ones refused as the backend would. */
function backendArgs(schema: { properties: Record<string, TSchema> }, module: string, a: Record<string, unknown>): Record<string, unknown> {
  const given = Object.keys(a).filter((k) => !OWN.has(k) && a[k] !== undefined);
  const unsupported = given.filter((k) => !(k in schema.properties));
  if (unsupported.length)
    throw new ModuleError(
      `Unsupported parameters for (${module}) module: ${unsupported.sort().join(', ')}. Supported parameters include: ${Object.keys(schema.properties).sort().join(', ')}.`,
    );
  const out: Record<string, unknown> = { name: a['name'], state: a['state'] };
  for (const [k, prop] of Object.entries(schema.properties)) {
    if (OWN.has(k)) continue;
    const v = a[k] !== undefined ? a[k] : (prop as { default?: unknown }).default;
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export const packageModule = defineModule({
  name: 'package',
  aliases: ['ansible.builtin.package', 'ansible.legacy.package'],
  description: "Manage packages with the host's package manager (apt, dnf or yum)",
  examples: `- name: what every cloud node needs, whatever its distribution
  ansible.builtin.package:
    name: [munge, autofs, sendmail, chrony]
    state: present
`,
  returns: {
    cache_updated: 'apt hosts: whether the lists were refreshed',
    cache_update_time: 'apt hosts: when the lists were last refreshed (epoch seconds)',
    results: 'dnf/yum hosts, after a change: Installed:/Upgraded:/Removed: NAME lines',
  },
  args: Args,
  argAliases: { pkg: 'name' },
  async check(ctx, a) {
    const names = pkgNames(a.name);
    const state = a.state as PkgState;
    const f = await ctx.fact(pkgFact, { names, latest: state === 'latest' });
    if (!f.mgr) throw new ModuleError('no supported package manager (apt, dnf, yum) on this host');
    if (a.use !== 'auto' && a.use !== f.mgr) throw new ModuleError(`use=${a.use}, but this host uses ${f.mgr}`);
    if (f.mgr === 'apt') {
      const c = aptDecide(toAptArgs(backendArgs(AptSchema, 'ansible.legacy.apt', a) as AptModuleArgs), f);
      return c.changed ? { ...c, plan: { mgr: 'apt', plan: c.plan } as Plan } : c;
    }
    const c = dnfDecide(toDnfArgs(backendArgs(DnfSchema, `ansible.legacy.${f.mgr}`, a) as Parameters<typeof toDnfArgs>[0]), f);
    return c.changed ? { ...c, plan: { mgr: f.mgr, plan: c.plan } as Plan } : c;
  },
  async apply(ctx, a, p: Plan) {
    if (p.mgr === 'apt') return aptApply(ctx, toAptArgs(backendArgs(AptSchema, 'ansible.legacy.apt', a) as AptModuleArgs), p.plan);
    return dnfApply(ctx, toDnfArgs(backendArgs(DnfSchema, `ansible.legacy.${p.mgr}`, a) as Parameters<typeof toDnfArgs>[0]), p.plan);
  },
});
