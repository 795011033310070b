/** dnf/yum decisions (pure, unit-tested) and the command lines. */
import { shJoin } from '../shell/quote.js';
import type { PkgFacts } from './pkg-facts.js';
import type { PkgState } from './apt-plan.js';

export interface DnfArgs {
  names: string[];
  state: PkgState;
  update_cache: boolean;
  disable_gpg_check: boolean;
  enablerepo: string[];
  disablerepo: string[];
  allowerasing: boolean;
  autoremove: boolean;
  exclude: string[];
  install_weak_deps: boolean;
}

export interface DnfPlan {
  tool: 'dnf' | 'yum';
  makecache: boolean;
  install: string[];
  upgrade: string[];
  /** `name: '*'` with state=latest: upgrade every package that has an update (Ansible's idiom) */
  upgradeAll: boolean;
  remove: string[];
}

/** "bash-5.1" → "bash" is not knowable without the repo; updates are reported by name, so match loosely. */
function baseName(spec: string): string {
  return spec.replace(/-[0-9][^/]*$/, '');
}

export type DnfDecision = { plan: DnfPlan | null } | { error: string };

export function planDnf(a: DnfArgs, f: PkgFacts, tool: 'dnf' | 'yum'): DnfDecision {
  const bad = a.names.find((n) => n.startsWith('@'));
  if (bad) return { error: `package groups (${bad}) are not supported; list the packages` };
  const inst = new Set(f.rpmInstalled);
  const plan: DnfPlan = { tool, makecache: false, install: [], upgrade: [], upgradeAll: false, remove: [] };
  if (a.names.includes('*')) {
    // never `dnf install '*'` (every available package) nor `remove '*'`
    if (a.state !== 'latest' || a.names.length > 1)
      return { error: "name '*' means every installed package: give it alone, with state=latest (upgrade them all)" };
    plan.upgradeAll = f.updates.length > 0;
  } else if (a.state === 'present' || a.state === 'installed') plan.install = a.names.filter((n) => !inst.has(n));
  else if (a.state === 'latest') {
    plan.install = a.names.filter((n) => !inst.has(n));
    const upd = new Set(f.updates);
    plan.upgrade = a.names.filter((n) => inst.has(n) && (upd.has(n) || upd.has(baseName(n))));
  } else plan.remove = a.names.filter((n) => inst.has(n));
  plan.makecache = a.update_cache && (plan.install.length > 0 || plan.upgrade.length > 0 || plan.upgradeAll || a.names.length === 0);
  if (!plan.install.length && !plan.upgrade.length && !plan.upgradeAll && !plan.remove.length && !plan.makecache) return { plan: null };
  return { plan };
}

export function dnfCommands(a: DnfArgs, p: DnfPlan): string {
  const base = [p.tool, '-y', '-q'];
  const opts: string[] = [];
  if (a.disable_gpg_check) opts.push('--nogpgcheck');
  for (const r of a.disablerepo) opts.push(`--disablerepo=${r}`);
  for (const r of a.enablerepo) opts.push(`--enablerepo=${r}`);
  for (const x of a.exclude) opts.push(`--exclude=${x}`);
  if (a.allowerasing && p.tool === 'dnf') opts.push('--allowerasing');
  if (!a.install_weak_deps && p.tool === 'dnf') opts.push('--setopt=install_weak_deps=False');
  const cmds: string[] = [];
  if (p.makecache) cmds.push(shJoin([...base, ...opts, 'makecache']));
  if (p.install.length) cmds.push(shJoin([...base, ...opts, 'install', '--', ...p.install]));
  if (p.upgrade.length) cmds.push(shJoin([...base, ...opts, 'upgrade', '--', ...p.upgrade]));
  if (p.upgradeAll) cmds.push(shJoin([...base, ...opts, 'upgrade']));
  if (p.remove.length) cmds.push(shJoin([...base, ...opts, 'remove', '--', ...p.remove]));
  return cmds.map((c) => `{ ${c}\n} || exit $?`).join('\n') || 'true';
}
