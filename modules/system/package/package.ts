/** package: install/remove packages with whatever manager the host has (apt, dnf or yum). */
import { ModuleError, Type, defineModule } from '../../../src/contract/index.js';
import { NameArg, PkgStateArg, aptApply, aptDecide } from '../apt/apt.js';
import { dnfApply, dnfDecide } from '../dnf/dnf.js';
import { pkgFact, pkgNames } from '../../../lib/packages/pkg-facts.js';
import type { AptArgs, AptPlan, PkgState } from '../../../lib/packages/apt-plan.js';
import type { DnfArgs, DnfPlan } from '../../../lib/packages/dnf-plan.js';

const Args = Type.Object(
  {
    name: NameArg,
    state: PkgStateArg,
    use: Type.Union([Type.Literal('auto'), Type.Literal('apt'), Type.Literal('dnf'), Type.Literal('yum')], {
      default: 'auto',
      description: "auto: the host's manager (apt, else dnf, else yum); another value fails unless the host uses that one (it is not forced)",
    }),
  },
  { additionalProperties: false },
);

type Plan = { mgr: 'apt'; plan: AptPlan } | { mgr: 'dnf' | 'yum'; plan: DnfPlan };

function aptArgs(names: string[], state: PkgState): AptArgs {
  return {
    names,
    state,
    update_cache: false,
    cache_valid_time: 0,
    purge: false,
    autoremove: false,
    allow_downgrade: false,
    dpkg_options: 'force-confdef,force-confold',
    lock_timeout: 60,
    force: false,
  };
}

function dnfArgs(names: string[], state: PkgState): DnfArgs {
  return {
    names,
    state,
    update_cache: false,
    disable_gpg_check: false,
    enablerepo: [],
    disablerepo: [],
    allowerasing: false,
    autoremove: false,
    exclude: [],
    install_weak_deps: true,
  };
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
      const c = aptDecide(aptArgs(names, state), f);
      return c.changed ? { ...c, plan: { mgr: 'apt', plan: c.plan } as Plan } : c;
    }
    const c = dnfDecide(dnfArgs(names, state), f);
    return c.changed ? { ...c, plan: { mgr: f.mgr, plan: c.plan } as Plan } : c;
  },
  async apply(ctx, a, p: Plan) {
    const names = pkgNames(a.name);
    const state = a.state as PkgState;
    if (p.mgr === 'apt') return aptApply(ctx, aptArgs(names, state), p.plan);
    return dnfApply(ctx, dnfArgs(names, state), p.plan);
  },
});
