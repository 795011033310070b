/**
 * Package facts for package/apt/dnf: ONE command detects the manager (apt, dnf or yum) and reads what the
 * task needs: installed state of the named packages, the apt cache age, candidates for state=latest, the
 * control fields of a local .deb, and what autoremove would remove.
 */
import { defineFact } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';

export type PkgManager = 'apt' | 'dnf' | 'yum';

export interface AptPkg {
  /** `${db:Status-Abbrev}`, e.g. "ii " */
  status: string;
  version: string;
}

export interface PkgFacts {
  mgr: PkgManager | null;
  /** apt: by package name (without :arch); every instance's state */
  apt: Record<string, AptPkg[]>;
  /** apt: mtime of the package lists (0: never updated) and the host's clock */
  cacheTime: number;
  now: number;
  /** apt, state=latest: name → {installed, candidate} ("(none)" when absent) */
  policy: Record<string, { installed: string; candidate: string }>;
  /** apt deb=: the file's Package and Version */
  deb?: { name: string; version: string };
  /** apt: packages autoremove would remove */
  autoremove: string[];
  /** rpm: specs that are installed (by name, name-version, or a provided capability) */
  rpmInstalled: string[];
  /** dnf/yum, state=latest: names with an update available */
  updates: string[];
}

export interface PkgQuery {
  names: string[];
  latest?: boolean;
  deb?: string;
  autoremove?: boolean;
}

/** apt spec "name=version" → name (also strips :arch for lookups) */
export function aptName(spec: string): string {
  return spec.split('=')[0]!.trim();
}

export function pkgScript(q: PkgQuery): string {
  const aptNames = q.names.map(aptName).map(shq).join(' ');
  const rpmSpecs = q.names.map(shq).join(' ');
  const apt: string[] = ['echo mgr=apt'];
  if (q.names.length) apt.push(`dpkg-query -W -f='pkg=\${Package}\\t\${db:Status-Abbrev}\\t\${Version}\\n' -- ${aptNames} 2>/dev/null`);
  apt.push('echo "cache=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0)"');
  apt.push('echo "now=$(date +%s)"');
  if (q.latest && q.names.length) {
    apt.push(
      `apt-cache policy -- ${aptNames} 2>/dev/null | sed -n 's/^\\([^ ].*\\):$/policy=\\1/p; s/^  Installed: /installed=/p; s/^  Candidate: /candidate=/p'`,
    );
  }
  if (q.deb !== undefined) {
    const d = shq(q.deb);
    // the file's package name is only known here: ask dpkg about it in the same command
    apt.push(
      `if [ -f ${d} ] && _dp=$(dpkg-deb -f ${d} Package); then dpkg-deb -f ${d} Package Version | sed 's/^/deb/'; dpkg-query -W -f='pkg=\${Package}\t\${db:Status-Abbrev}\t\${Version}\n' -- "$_dp" 2>/dev/null; else echo debmissing; fi`,
    );
  }
  if (q.autoremove) apt.push(`apt-get -s autoremove 2>/dev/null | sed -n 's/^Remv \\([^ ]*\\).*/autoremove=\\1/p'`);
  const rpm = (tool: string): string[] => {
    const out = [`echo mgr=${tool}`];
    if (q.names.length) {
      out.push(
        `for _s in ${rpmSpecs}; do if rpm -q --quiet -- "$_s" 2>/dev/null || rpm -q --quiet --whatprovides -- "$_s" 2>/dev/null; then echo "rpm=$_s"; fi; done`,
      );
      if (q.latest) out.push(`${tool} -q check-update -- ${rpmSpecs} 2>/dev/null | sed -n 's/^\\([^ ][^ ]*\\)\\.[^. ]*  *[^ ].*/update=\\1/p'`);
    }
    return out;
  };
  return `if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
${apt.join('\n')}
elif command -v dnf >/dev/null 2>&1; then
${rpm('dnf').join('\n')}
elif command -v yum >/dev/null 2>&1; then
${rpm('yum').join('\n')}
else
echo mgr=none
fi`;
}

export function parsePkg(stdout: string): PkgFacts {
  const f: PkgFacts = { mgr: null, apt: {}, cacheTime: 0, now: 0, policy: {}, autoremove: [], rpmInstalled: [], updates: [] };
  let pol: string | null = null;
  let debName: string | undefined;
  let debVersion: string | undefined;
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    const colon = line.indexOf(':');
    if (line.startsWith('debPackage:')) debName = line.slice(colon + 1).trim();
    else if (line.startsWith('debVersion:')) debVersion = line.slice(colon + 1).trim();
    if (eq < 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    switch (k) {
      case 'mgr':
        f.mgr = v === 'apt' || v === 'dnf' || v === 'yum' ? v : null;
        break;
      case 'pkg': {
        const [name = '', status = '', version = ''] = v.split('\t');
        (f.apt[name] ??= []).push({ status, version });
        break;
      }
      case 'cache':
        f.cacheTime = Number(v) || 0;
        break;
      case 'now':
        f.now = Number(v) || 0;
        break;
      case 'policy':
        pol = v.trim();
        f.policy[pol] = { installed: '(none)', candidate: '(none)' };
        break;
      case 'installed':
      case 'candidate':
        if (pol !== null) f.policy[pol]![k] = v.trim();
        break;
      case 'autoremove':
        f.autoremove.push(v.trim());
        break;
      case 'rpm':
        f.rpmInstalled.push(v.trim());
        break;
      case 'update':
        f.updates.push(v.trim());
        break;
      default:
        break;
    }
  }
  if (debName !== undefined && debVersion !== undefined) f.deb = { name: debName, version: debVersion };
  return f;
}

export const pkgFact = defineFact<PkgQuery, PkgFacts>({
  name: 'packages',
  command: pkgScript,
  parse: (r) => parsePkg(r.stdout),
});

/** `name` as Ansible takes it: a list, or a string with commas. */
export function pkgNames(name: string | string[] | undefined): string[] {
  if (name === undefined) return [];
  const list = Array.isArray(name) ? name : [name];
  return list
    .flatMap((n) => String(n).split(','))
    .map((n) => n.trim())
    .filter(Boolean);
}
