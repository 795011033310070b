/**
 * Account facts for user and group: one shell command reads the passwd/shadow entry, the group memberships
 * and every group the task names (`getent`, so NSS sources such as LDAP count, as in Ansible).
 */
import { ArgsError, defineFact } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface AccountState {
  /** null: no such user */
  user: PasswdEntry | null;
  /** all group names of the user, primary first (from `id -Gn`) */
  groupNames: string[];
  /** the shadow hash field; undefined when unreadable (no become) */
  hash?: string;
  /** the groups that were asked about, by the name or gid they were asked with */
  groups: Record<string, GroupEntry | null>;
}

const NAME = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/;

export function checkAccountName(kind: 'user' | 'group', name: string): void {
  if (!NAME.test(name) || name.length > 256) throw new ArgsError(`${kind}: invalid ${kind} name '${name}'`, '/name');
}

export function parsePasswd(line: string): PasswdEntry | null {
  const f = line.split(':');
  if (f.length < 7) return null;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), comment: f[4]!, home: f[5]!, shell: f.slice(6).join(':') };
}

export function parseGroup(line: string): GroupEntry | null {
  const f = line.split(':');
  if (f.length < 4) return null;
  return { name: f[0]!, gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] };
}

export interface AccountQuery {
  /** user to read (passwd, groups, shadow); omit for group-only queries */
  user?: string;
  /** group names or gids to resolve */
  groups: string[];
}

/** The shell snippet (exported for tests). */
export function accountScript(q: AccountQuery): string {
  const lines: string[] = [];
  if (q.user !== undefined) {
    const u = shq(q.user);
    lines.push(
      `if _p=$(getent passwd ${u}); then echo "passwd=$_p"; echo "groups=$(id -Gn ${u} 2>/dev/null)"; if _s=$(getent shadow ${u} 2>/dev/null); then echo "shadow=$_s"; fi; else echo nouser; fi`,
    );
  }
  for (const g of q.groups)
    lines.push(
      `if _e=$(getent group ${shq(g)}); then echo "group=${g.replace(/[^A-Za-z0-9_.$-]/g, '')}=$_e"; else echo "nogroup=${g.replace(/[^A-Za-z0-9_.$-]/g, '')}"; fi`,
    );
  return lines.join('\n') || 'true';
}

export function parseAccount(stdout: string, q: AccountQuery): AccountState {
  const st: AccountState = { user: null, groupNames: [], groups: {} };
  for (const g of q.groups) st.groups[g] = null;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('passwd=')) {
      const e = parsePasswd(line.slice(7));
      // getent also answers numeric lookups: only an entry with this very name counts
      if (e && e.name === q.user) st.user = e;
    } else if (line.startsWith('groups=')) st.groupNames = line.slice(7).trim().split(/\s+/).filter(Boolean);
    else if (line.startsWith('shadow=')) st.hash = line.slice(7).split(':')[1] ?? '';
    else if (line.startsWith('group=')) {
      const rest = line.slice(6);
      const eq = rest.indexOf('=');
      const key = rest.slice(0, eq);
      const e = parseGroup(rest.slice(eq + 1));
      if (!e) continue;
      const asked = q.groups.find((g) => g.replace(/[^A-Za-z0-9_.$-]/g, '') === key);
      // a name must match exactly; a number may be a gid
      if (asked !== undefined && (e.name === asked || (/^\d+$/.test(asked) && e.gid === Number(asked)))) st.groups[asked] = e;
    }
  }
  if (!st.user) {
    st.groupNames = [];
    delete st.hash;
  }
  return st;
}

export const accountFact = defineFact<AccountQuery, AccountState>({
  name: 'account',
  command: accountScript,
  parse: (r, q) => parseAccount(r.stdout, q),
});
