/** apt decisions (pure, unit-tested) and the apt-get command lines. */
import { shJoin } from '../shell/quote.js';
import { aptName, type AptPkg, type PkgFacts } from './pkg-facts.js';

export type PkgState = 'present' | 'installed' | 'absent' | 'removed' | 'latest';

export interface AptArgs {
  names: string[];
  state: PkgState;
  update_cache: boolean;
  cache_valid_time: number;
  purge: boolean;
  autoremove: boolean;
  deb?: string;
  install_recommends?: boolean;
  allow_downgrade: boolean;
  default_release?: string;
  dpkg_options: string;
  lock_timeout: number;
  force: boolean;
}

export interface AptPlan {
  updateCache: boolean;
  install: string[];
  remove: string[];
  purge: boolean;
  autoremove: boolean;
  deb?: string;
  /** state=latest after a cache update: what changes is only known afterwards (apt-get says it) */
  deferred: boolean;
}

const installed = (p: AptPkg): boolean => /^.[iWt]/.test(p.status);

/** apt-style version match: exact, or a glob with * */
function versionMatches(have: string, want: string): boolean {
  if (!want.includes('*')) return have === want;
  const re = new RegExp(
    '^' +
      want
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(have);
}

/** Is the spec ("name" or "name=version") satisfied? */
export function aptSatisfied(spec: string, f: PkgFacts): boolean {
  const name = aptName(spec).replace(/:[a-z0-9]+$/, '');
  const eq = spec.indexOf('=');
  const inst = (f.apt[name] ?? []).filter(installed);
  if (!inst.length) return false;
  if (eq < 0) return true;
  const want = spec.slice(eq + 1).trim();
  return inst.some((p) => versionMatches(p.version, want));
}

export function cacheStale(a: Pick<AptArgs, 'cache_valid_time'>, f: PkgFacts): boolean {
  if (!a.cache_valid_time) return true;
  return f.cacheTime === 0 || f.now - f.cacheTime > a.cache_valid_time;
}

export type AptDecision = { plan: AptPlan | null } | { error: string };

export function planApt(a: AptArgs, f: PkgFacts): AptDecision {
  const plan: AptPlan = { updateCache: false, install: [], remove: [], purge: a.purge, autoremove: a.autoremove, deferred: false };
  const stale = a.update_cache && cacheStale(a, f);
  const st = a.state;
  if (a.deb !== undefined) {
    if (st !== 'present' && st !== 'installed') return { error: 'deb only supports state=present' };
    if (!f.deb) return { error: `deb file ${a.deb} does not exist on the host (or is not a valid package)` };
    const have = (f.apt[f.deb.name] ?? []).filter(installed);
    if (!have.some((p) => p.version === f.deb!.version)) plan.deb = a.deb;
  }
  if (st === 'present' || st === 'installed') {
    plan.install = a.names.filter((s) => !aptSatisfied(s, f));
  } else if (st === 'latest') {
    if (stale) {
      plan.install = [...a.names];
      plan.deferred = a.names.length > 0;
    } else {
      plan.install = a.names.filter((s) => {
        const name = aptName(s);
        if (!aptSatisfied(name, f)) return true;
        const p = f.policy[name];
        return p !== undefined && p.candidate !== '(none)' && p.candidate !== p.installed;
      });
    }
  } else {
    plan.remove = a.names.filter((s) => {
      const name = aptName(s).replace(/:[a-z0-9]+$/, '');
      if (s.includes('=')) return aptSatisfied(s, f);
      // purge also clears packages that left only their configuration ("rc")
      return (f.apt[name] ?? []).some((p) => installed(p) || (a.purge && /^.c/.test(p.status)));
    });
  }
  const work = plan.install.length > 0 || plan.remove.length > 0 || plan.deb !== undefined;
  const autoremoveOnly = a.autoremove && !a.names.length && a.deb === undefined && f.autoremove.length > 0;
  // the cache is refreshed only when something is going to be installed (or nothing else was asked)
  const installs = plan.install.length > 0 || plan.deb !== undefined;
  plan.updateCache = stale && (installs || (!a.names.length && a.deb === undefined));
  if (!work && !plan.updateCache && !autoremoveOnly) return { plan: null };
  return { plan };
}

function aptGet(a: AptArgs): string[] {
  const argv = ['apt-get', '-y', '-q', '-o', `DPkg::Lock::Timeout=${a.lock_timeout}`];
  for (const o of a.dpkg_options
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean))
    argv.push('-o', `Dpkg::Options::=--${o}`);
  return argv;
}

/** The apt-get commands for a plan, as one shell snippet. */
export function aptCommands(a: AptArgs, p: AptPlan): string {
  const env = 'DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a';
  const cmds: string[] = [];
  if (p.updateCache) cmds.push(`${env} apt-get -q update && { mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp; }`);
  const opts: string[] = [];
  if (a.install_recommends === true) opts.push('--install-recommends');
  if (a.install_recommends === false) opts.push('--no-install-recommends');
  if (a.default_release) opts.push('-t', a.default_release);
  if (a.allow_downgrade) opts.push('--allow-downgrades');
  if (a.force) opts.push('--allow-unauthenticated', '--allow-downgrades', '--allow-remove-essential', '--allow-change-held-packages');
  if (p.install.length) cmds.push(`${env} ${shJoin([...aptGet(a), ...opts, 'install', '--', ...p.install])}`);
  if (p.deb !== undefined) {
    const path = p.deb.startsWith('/') || p.deb.startsWith('./') ? p.deb : `./${p.deb}`;
    cmds.push(`${env} ${shJoin([...aptGet(a), ...opts, 'install', '--', path])}`);
  }
  if (p.remove.length)
    cmds.push(`${env} ${shJoin([...aptGet(a), ...(p.autoremove ? ['--auto-remove'] : []), p.purge ? 'purge' : 'remove', '--', ...p.remove])}`);
  else if (p.autoremove && !p.install.length && p.deb === undefined)
    cmds.push(`${env} ${shJoin([...aptGet(a), 'autoremove', ...(p.purge ? ['--purge'] : [])])}`);
  return cmds.map((c) => `{ ${c}\n} || exit $?`).join('\n') || 'true';
}

/** apt-get's summary line says whether anything changed (used for deferred latest). */
export function aptChanged(stdout: string): boolean {
  const m = /(\d+) upgraded, (\d+) newly installed, (\d+) to remove/.exec(stdout);
  if (!m) return true;
  return Number(m[1]) + Number(m[2]) + Number(m[3]) > 0;
}
