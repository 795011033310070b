/** dnf (and yum): Red Hat packages, present/absent/latest. */
import { ModuleError, Type, change, defineModule, ok, type ModuleContext, type ResultData } from '../../../src/contract/index.js';
import { dnfCommands, planDnf, type DnfArgs, type DnfPlan } from '../../../lib/packages/dnf-plan.js';
import { pkgFact, pkgNames, type PkgFacts } from '../../../lib/packages/pkg-facts.js';
import { PkgStateArg } from '../apt/apt.js';
import type { PkgState } from '../../../lib/packages/apt-plan.js';

const ListArg = (description: string) => Type.Union([Type.String(), Type.Array(Type.String())], { default: [], description });

export const Args = Type.Object(
  {
    name: Type.Optional(
      Type.Union([Type.String(), Type.Array(Type.String())], {
        description: "package(s): a list or 'a,b', name-version allowed; '*' alone with state=latest upgrades every package",
      }),
    ),
    state: PkgStateArg,
    update_cache: Type.Boolean({ default: false, description: 'refresh the metadata first (only when something is to be installed)' }),
    disable_gpg_check: Type.Boolean({ default: false, description: 'install without checking package signatures (--nogpgcheck)' }),
    enablerepo: ListArg("repository ids enabled for this task (--enablerepo=ID); a list or 'a,b'"),
    disablerepo: ListArg('repository ids disabled for this task (--disablerepo=ID, given before --enablerepo)'),
    exclude: ListArg('package names or globs never installed or upgraded by this task (--exclude=PATTERN)'),
    allowerasing: Type.Boolean({ default: false, description: 'dnf --allowerasing: remove conflicting packages to resolve dependencies (ignored with yum)' }),
    autoremove: Type.Boolean({ default: false, description: 'accepted, but not implemented yet: no leaf packages are removed (unlike Ansible)' }),
    install_weak_deps: Type.Boolean({ default: true, description: 'false: --setopt=install_weak_deps=False, no Recommends: packages (dnf only)' }),
  },
  { additionalProperties: false },
);

export function toDnfArgs(a: typeof Args.static): DnfArgs {
  return {
    ...a,
    names: pkgNames(a.name),
    state: a.state as PkgState,
    enablerepo: pkgNames(a.enablerepo),
    disablerepo: pkgNames(a.disablerepo),
    exclude: pkgNames(a.exclude),
  };
}

export function dnfDecide(a: DnfArgs, f: PkgFacts) {
  if (f.mgr !== 'dnf' && f.mgr !== 'yum')
    throw new ModuleError(f.mgr ? `dnf/yum is not available on this host (it uses ${f.mgr}; use the package module)` : 'dnf/yum is not available on this host');
  const d = planDnf(a, f, f.mgr);
  if ('error' in d) throw new ModuleError(d.error);
  if (!d.plan) return ok({});
  const p = d.plan;
  const words = [
    p.makecache ? 'refresh metadata' : '',
    p.install.length ? `install ${p.install.join(' ')}` : '',
    p.upgrade.length ? `upgrade ${p.upgrade.join(' ')}` : '',
    p.remove.length ? `remove ${p.remove.join(' ')}` : '',
  ].filter(Boolean);
  return change(`${words.join(', ')} (${p.tool})`, p);
}

export async function dnfApply(ctx: ModuleContext, a: DnfArgs, p: DnfPlan): Promise<ResultData> {
  const r = await ctx.runOk(dnfCommands(a, p));
  return {
    stdout: r.stdout,
    stderr: r.stderr,
    results: [...p.install.map((n) => `Installed: ${n}`), ...p.upgrade.map((n) => `Upgraded: ${n}`), ...p.remove.map((n) => `Removed: ${n}`)],
  };
}

export const dnf = defineModule({
  name: 'dnf',
  aliases: ['ansible.builtin.dnf', 'ansible.legacy.dnf', 'yum', 'ansible.builtin.yum', 'ansible.legacy.yum', 'dnf5', 'ansible.builtin.dnf5'],
  description: 'Manage Red Hat packages with dnf (or yum where dnf is missing)',
  examples: `- name: EL cloud node packages, munge from EPEL
  ansible.builtin.dnf:
    name: [munge, autofs, nfs-utils, sendmail, sendmail-cf]
    enablerepo: epel
- name: Libreswan for the site-to-site gateway, kept up to date
  ansible.builtin.dnf:
    name: libreswan
    state: latest
`,
  returns: {
    results: 'after a change: Installed:/Upgraded:/Removed: NAME lines',
  },
  args: Args,
  argAliases: { pkg: 'name', 'update-cache': 'update_cache', expire_cache: 'update_cache' },
  async check(ctx, a) {
    const args = toDnfArgs(a);
    const f = await ctx.fact(pkgFact, { names: args.names, latest: a.state === 'latest' });
    return dnfDecide(args, f);
  },
  async apply(ctx, a, p) {
    return dnfApply(ctx, toDnfArgs(a), p as DnfPlan);
  },
});
