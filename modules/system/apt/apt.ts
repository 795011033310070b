/** apt: Debian/Ubuntu packages with apt-get (present/absent/latest, a local .deb, cache refresh when needed). */
import { ArgsError, ModuleError, Type, change, defineModule, ok, type ModuleContext, type ResultData } from '../../../src/contract/index.js';
import { aptChanged, aptCommands, planApt, type AptArgs, type AptPlan, type PkgState } from '../../../lib/packages/apt-plan.js';
import { pkgFact, pkgNames, type PkgFacts } from '../../../lib/packages/pkg-facts.js';

export const NameArg = Type.Union([Type.String(), Type.Array(Type.String())], { description: "package(s): a list or 'a,b'; apt takes name=version" });
export const PkgStateArg = Type.Union(
  [Type.Literal('present'), Type.Literal('installed'), Type.Literal('absent'), Type.Literal('removed'), Type.Literal('latest')],
  { default: 'present', description: 'present (or installed), absent (or removed), latest: installed and upgraded to the candidate version' },
);

export const Args = Type.Object(
  {
    name: Type.Optional(NameArg),
    state: PkgStateArg,
    update_cache: Type.Boolean({ default: false, description: 'run apt-get update first (only when something is to be installed, or no name is given)' }),
    cache_valid_time: Type.Integer({ default: 0, minimum: 0, description: 'skip the update when the lists are younger than this many seconds' }),
    purge: Type.Boolean({ default: false, description: 'with absent: remove configuration files too' }),
    autoremove: Type.Boolean({ default: false, description: 'remove dependencies nothing needs any more' }),
    deb: Type.Optional(Type.String({ description: 'path of a .deb file on the host to install' })),
    install_recommends: Type.Optional(Type.Boolean({ description: "true: --install-recommends, false: --no-install-recommends; unset: apt's own setting" })),
    allow_downgrade: Type.Boolean({ default: false, description: 'pass --allow-downgrades (to install name=version older than the installed one)' }),
    default_release: Type.Optional(Type.String({ description: 'apt-get -t RELEASE for installs, e.g. bookworm-backports' })),
    dpkg_options: Type.String({
      default: 'force-confdef,force-confold',
      description: 'comma-separated dpkg options, each passed as -o Dpkg::Options::=--OPTION (default: keep changed config files)',
    }),
    lock_timeout: Type.Integer({
      default: 60,
      minimum: 0,
      description: 'seconds apt-get waits for the dpkg lock (DPkg::Lock::Timeout), e.g. while unattended-upgrades runs',
    }),
    force: Type.Boolean({
      default: false,
      description: 'DANGEROUS: --allow-unauthenticated --allow-downgrades --allow-remove-essential --allow-change-held-packages',
    }),
  },
  { additionalProperties: false },
);

export type AptModuleArgs = typeof Args.static;

export function toAptArgs(a: AptModuleArgs): AptArgs {
  const { name, ...rest } = a;
  return { ...rest, names: pkgNames(name), state: a.state as PkgState };
}

export function aptDecide(a: AptArgs, f: PkgFacts): ReturnType<typeof change<AptPlan>> | ReturnType<typeof ok> {
  const d = planApt(a, f);
  if ('error' in d) throw new ModuleError(d.error);
  const result: ResultData = { cache_updated: false, cache_update_time: f.cacheTime };
  if (!d.plan) return ok(result);
  const p = d.plan;
  const words = [
    p.updateCache ? 'update cache' : '',
    p.install.length ? `${a.state === 'latest' ? 'install/upgrade' : 'install'} ${p.install.join(' ')}` : '',
    p.deb !== undefined ? `install ${p.deb}` : '',
    p.remove.length ? `${p.purge ? 'purge' : 'remove'} ${p.remove.join(' ')}` : '',
    !p.install.length && !p.remove.length && p.deb === undefined && p.autoremove ? `autoremove ${f.autoremove.join(' ')}` : '',
  ].filter(Boolean);
  return change(words.join(', '), p, { result });
}

export async function aptApply(ctx: ModuleContext, a: AptArgs, p: AptPlan): Promise<ResultData> {
  let r;
  try {
    r = await ctx.runOk(aptCommands(a, p));
  } catch (e) {
    // a name apt does not know: Ansible's message (its apt module looks the name up before it installs)
    const m = e instanceof ModuleError && /^E: (?:Unable to locate package (\S+)|Package '([^']+)' has no installation candidate)/m.exec(e.stderr ?? '');
    if (m) throw new ModuleError(`No package matching '${m[1] ?? m[2]}' is available`);
    throw e;
  }
  const res: ResultData = { stdout: r.stdout, stderr: r.stderr, cache_updated: p.updateCache };
  // latest after a cache refresh: only apt-get knows whether anything was upgraded (the refresh alone is no change, as in Ansible)
  if (p.deferred) res.changed = aptChanged(r.stdout);
  return res;
}

export const apt = defineModule({
  name: 'apt',
  aliases: ['ansible.builtin.apt', 'ansible.legacy.apt'],
  description: 'Manage Debian packages with apt-get (present, absent, latest, a local .deb)',
  examples: `- name: Debian cloud node packages (lists refreshed when older than an hour)
  ansible.builtin.apt:
    name: [munge, autofs, nfs-common, sendmail, sendmail-cf]
    update_cache: true
    cache_valid_time: 3600
    install_recommends: false
- name: the site's Slurm build
  ansible.builtin.apt:
    deb: /tmp/slurm-smd_23.11.7-1_amd64.deb
`,
  returns: {
    cache_updated: 'whether apt-get update ran',
    cache_update_time: 'when the lists were last refreshed (epoch seconds, before the task)',
  },
  args: Args,
  argAliases: { pkg: 'name', package: 'name', 'update-cache': 'update_cache', 'install-recommends': 'install_recommends', allow_downgrades: 'allow_downgrade' },
  validate(a) {
    if (a.name === undefined && a.deb === undefined && !a.update_cache && !a.autoremove)
      throw new ArgsError('apt: one of the following is required: name, deb, update_cache, autoremove');
  },
  async check(ctx, a) {
    const args = toAptArgs(a);
    const f = await ctx.fact(pkgFact, { names: args.names, latest: a.state === 'latest', deb: a.deb, autoremove: a.autoremove && args.names.length === 0 });
    if (f.mgr !== 'apt')
      throw new ModuleError(
        f.mgr ? `apt-get is not available on this host (it uses ${f.mgr}; use the package module)` : 'apt-get is not available on this host',
      );
    return aptDecide(args, f);
  },
  async apply(ctx, a, p) {
    return aptApply(ctx, toAptArgs(a), p);
  },
});
