/** The user module's decision: args + account facts → the useradd/usermod/userdel steps (pure, unit-tested). */
import type { FileDiff } from '../../../src/contract/index.js';
import type { AccountState, PasswdEntry } from '../../../lib/accounts/account-facts.js';

export interface UserArgs {
  name: string;
  state: 'present' | 'absent';
  uid?: number;
  non_unique: boolean;
  group?: string;
  groups?: string | string[];
  append: boolean;
  shell?: string;
  home?: string;
  create_home: boolean;
  move_home: boolean;
  system: boolean;
  comment?: string;
  password?: string;
  update_password: 'always' | 'on_create';
  password_lock?: boolean;
  remove: boolean;
  force: boolean;
}

export interface UserPlan {
  action: 'create' | 'modify' | 'delete';
  /** commands (argv), run in order and stopped at the first failure */
  steps: string[][];
  /** then set the hash with `chpasswd -e` (the hash travels on stdin, never in argv) */
  setPassword: boolean;
  /** then lock (`usermod -L`) or unlock (`usermod -U`) the password */
  lock?: 'lock' | 'unlock';
  /** what changes, one word each (uid, group, groups, ...) */
  changes: string[];
}

export interface UserDecision {
  plan: UserPlan | null;
  diff?: FileDiff;
  /** groups the task names that do not exist */
  missingGroups: string[];
}

/** `groups` as a clean list ('a, b' or [a, b]); undefined when not given. */
export function groupsList(g: string | string[] | undefined): string[] | undefined {
  if (g === undefined) return undefined;
  const parts = (Array.isArray(g) ? g : [g]).flatMap((x) => String(x).split(','));
  return [...new Set(parts.map((x) => x.trim()).filter(Boolean))];
}

/** Every group name/gid a task refers to (what the fact must resolve). */
export function groupsToResolve(a: UserArgs): string[] {
  const out = new Set<string>();
  if (a.state === 'present') {
    if (a.group !== undefined) out.add(a.group);
    else out.add(a.name);
    for (const g of groupsList(a.groups) ?? []) out.add(g);
  }
  return [...out];
}

interface View {
  uid?: number;
  group?: string;
  groups: string[];
  comment: string;
  home: string;
  shell: string;
  password?: string;
}

function show(v: View | null): string {
  if (!v) return '';
  const lines = [
    `uid: ${v.uid ?? '(next free)'}`,
    `group: ${v.group ?? '(default)'}`,
    `groups: ${v.groups.join(',')}`,
    `comment: ${v.comment}`,
    `home: ${v.home}`,
    `shell: ${v.shell}`,
  ];
  if (v.password !== undefined) lines.push(`password: ${v.password}`);
  return lines.join('\n') + '\n';
}

export function planUser(a: UserArgs, st: AccountState): UserDecision {
  const header = `user ${a.name}`;
  const cur = st.user;
  if (a.state === 'absent') {
    if (!cur) return { plan: null, missingGroups: [] };
    const argv = ['userdel', ...(a.remove ? ['-r'] : []), ...(a.force ? ['-f'] : []), a.name];
    return {
      plan: { action: 'delete', steps: [argv], setPassword: false, changes: ['removed'] },
      diff: { before: show(viewOf(cur, st)), after: '', beforeHeader: header, afterHeader: header },
      missingGroups: [],
    };
  }
  const wanted = groupsList(a.groups);
  const missing = [...(a.group !== undefined ? [a.group] : []), ...(wanted ?? [])].filter((g) => !st.groups[g]);
  const nameOf = (g: string): string => st.groups[g]?.name ?? g;
  if (!cur) return { ...planCreate(a, st, wanted, nameOf), missingGroups: missing };
  return { ...planModify(a, st, cur, wanted, nameOf), missingGroups: missing };
}

function viewOf(cur: PasswdEntry, st: AccountState): View {
  return {
    uid: cur.uid,
    group: st.groupNames[0] ?? String(cur.gid),
    groups: st.groupNames.slice(1).sort(),
    comment: cur.comment,
    home: cur.home,
    shell: cur.shell,
  };
}

function planCreate(a: UserArgs, st: AccountState, wanted: string[] | undefined, nameOf: (g: string) => string): Omit<UserDecision, 'missingGroups'> {
  const argv = ['useradd'];
  const steps: string[][] = [];
  if (a.uid !== undefined) argv.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
  let primary: string | undefined;
  if (a.group !== undefined) primary = a.group;
  // Unlike Ansible's -N (primary group 'users'), an existing group of the user's own name becomes the primary group.
  else if (st.groups[a.name]) primary = a.name;
  if (primary !== undefined) argv.push('-g', primary);
  const supp = (wanted ?? []).filter((g) => primary === undefined || nameOf(g) !== nameOf(primary));
  if (supp.length) argv.push('-G', supp.join(','));
  if (a.comment !== undefined) argv.push('-c', a.comment);
  if (a.home !== undefined) {
    argv.push('-d', a.home);
    const parent = a.home.replace(/\/+[^/]*\/*$/, '');
    if (a.create_home && parent && parent !== '/') steps.push(['mkdir', '-p', '--', parent]);
  }
  if (a.shell !== undefined) argv.push('-s', a.shell);
  argv.push(a.create_home ? '-m' : '-M');
  if (a.system) argv.push('-r');
  argv.push(a.name);
  steps.push(argv);
  const setPassword = a.password !== undefined;
  const plan: UserPlan = { action: 'create', steps, setPassword, changes: ['created'] };
  if (a.password_lock === true) plan.lock = 'lock';
  const after: View = {
    uid: a.uid,
    group: primary !== undefined ? nameOf(primary) : undefined,
    groups: supp.map(nameOf).sort(),
    comment: a.comment ?? '',
    home: a.home ?? `(default)`,
    shell: a.shell ?? '(default)',
    ...(setPassword ? { password: '(set)' } : {}),
  };
  return { plan, diff: { before: '', after: show(after), beforeHeader: `user ${a.name}`, afterHeader: `user ${a.name}` } };
}

function planModify(
  a: UserArgs,
  st: AccountState,
  cur: PasswdEntry,
  wanted: string[] | undefined,
  nameOf: (g: string) => string,
): Omit<UserDecision, 'missingGroups'> {
  const argv = ['usermod'];
  const changes: string[] = [];
  const before = viewOf(cur, st);
  const after: View = { ...before, groups: [...before.groups] };
  if (a.uid !== undefined && a.uid !== cur.uid) {
    argv.push('-u', String(a.uid), ...(a.non_unique ? ['-o'] : []));
    changes.push('uid');
    after.uid = a.uid;
  }
  let primaryName = before.group;
  if (a.group !== undefined) {
    const g = st.groups[a.group];
    if (!g || g.gid !== cur.gid) {
      argv.push('-g', a.group);
      changes.push('group');
      primaryName = nameOf(a.group);
      after.group = primaryName;
    }
  }
  if (wanted !== undefined) {
    const want = wanted.map(nameOf).filter((g) => g !== primaryName);
    const have = new Set(before.groups);
    if (a.append) {
      const add = want.filter((g) => !have.has(g));
      if (add.length) {
        argv.push('-a', '-G', add.join(','));
        changes.push('groups');
        after.groups = [...new Set([...before.groups, ...add])].sort();
      }
    } else {
      const wantSet = new Set(want);
      if (wantSet.size !== have.size || [...wantSet].some((g) => !have.has(g))) {
        argv.push('-G', [...wantSet].join(','));
        changes.push('groups');
        after.groups = [...wantSet].sort();
      }
    }
  }
  if (a.comment !== undefined && a.comment !== cur.comment) {
    argv.push('-c', a.comment);
    changes.push('comment');
    after.comment = a.comment;
  }
  if (a.home !== undefined && a.home !== cur.home) {
    argv.push('-d', a.home, ...(a.move_home ? ['-m'] : []));
    changes.push('home');
    after.home = a.home;
  }
  if (a.shell !== undefined && a.shell !== cur.shell) {
    argv.push('-s', a.shell);
    changes.push('shell');
    after.shell = a.shell;
  }
  const locked = st.hash?.startsWith('!') ?? false;
  const bare = st.hash === undefined ? undefined : locked ? st.hash.slice(1) : st.hash;
  const setPassword = a.password !== undefined && a.update_password === 'always' && bare !== a.password;
  if (setPassword) {
    changes.push('password');
    before.password = st.hash === undefined ? '(unknown)' : '(old hash)';
    after.password = '(new hash)';
  }
  let lock: UserPlan['lock'];
  if (a.password_lock === true && (!locked || setPassword)) lock = 'lock';
  if (a.password_lock === false && locked && !setPassword) lock = 'unlock';
  if (lock) changes.push(lock === 'lock' ? 'locked' : 'unlocked');
  if (argv.length === 1 && !setPassword && !lock) return { plan: null };
  const steps = argv.length > 1 ? [[...argv, a.name]] : [];
  const plan: UserPlan = { action: 'modify', steps, setPassword, changes, ...(lock ? { lock } : {}) };
  return { plan, diff: { before: show(before), after: show(after), beforeHeader: `user ${a.name}`, afterHeader: `user ${a.name}` } };
}
