/** user: make a local account present (fixed uid, groups, shell, password hash...) or absent. */
import { ModuleError, Type, change, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { shJoin, shq } from '../../../lib/shell/quote.js';
import { accountFact, checkAccountName, parsePasswd } from '../../../lib/accounts/account-facts.js';
import { groupsToResolve, planUser, type UserArgs } from './user-plan.js';

const Args = Type.Object(
  {
    name: OneLine({ description: 'the login name' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: useradd, or usermod for what differs; absent: userdel (see remove, force)',
    }),
    uid: Type.Optional(Type.Integer({ minimum: 0, description: 'the user id (kept the same on every host)' })),
    non_unique: Type.Boolean({ default: false, description: 'allow a uid that another user already has' }),
    group: Type.Optional(OneLine({ description: 'primary group (name or gid); must exist' })),
    groups: Type.Optional(Type.Union([OneLine(), Type.Array(OneLine())], { description: "supplementary groups (list or 'a,b'); '' removes all" })),
    append: Type.Boolean({ default: false, description: 'add to `groups` instead of setting exactly those' }),
    shell: Type.Optional(OneLine({ description: 'the login shell' })),
    home: Type.Optional(OneLine({ description: 'the home directory' })),
    create_home: Type.Boolean({ default: true, description: 'create the home directory when the user is created' }),
    move_home: Type.Boolean({ default: false, description: 'when home changes, move the old contents there' }),
    system: Type.Boolean({ default: false, description: 'create a system account (uid from the system range)' }),
    comment: Type.Optional(OneLine({ description: 'the GECOS field' })),
    password: Type.Optional(OneLine({ description: 'the crypt(3) hash (not the clear text); secret' })),
    update_password: Type.Union([Type.Literal('always'), Type.Literal('on_create')], {
      default: 'always',
      description: 'always: set password when the hash differs; on_create: only when the account is created',
    }),
    password_lock: Type.Optional(Type.Boolean({ description: 'lock (true) or unlock (false) the password' })),
    remove: Type.Boolean({ default: false, description: 'with state=absent: also remove the home directory and mail spool' }),
    force: Type.Boolean({ default: false, description: 'with state=absent: remove even if logged in' }),
  },
  { additionalProperties: false },
);

const HASH = /^(\$[0-9a-z]+\$.+|[!*].*|[./0-9A-Za-z]{13})$/;

export const user = defineModule({
  acceptedArgs: {
    expires: 'the account expiry date is not set',
    local: 'the account is managed with useradd/usermod (NSS-wide), not luseradd',
    hidden: 'macOS only',
    login_class: 'BSD only',
    password_expire_max: 'password ageing is not set',
    password_expire_min: 'password ageing is not set',
    generate_ssh_key: 'no ssh key is generated (manage keys with authorized_key)',
    ssh_key_bits: 'no ssh key is generated',
    ssh_key_comment: 'no ssh key is generated',
    ssh_key_file: 'no ssh key is generated',
    ssh_key_passphrase: 'no ssh key is generated',
    ssh_key_type: 'no ssh key is generated',
    skeleton: "useradd's default skeleton (/etc/skel) is used",
    umask: "the home directory gets useradd's default mode",
    authorization: 'Solaris only',
    profile: 'Solaris only',
    role: 'Solaris only',
    seuser: 'no SELinux user is set',
  },
  name: 'user',
  aliases: ['ansible.builtin.user', 'ansible.legacy.user'],
  description: 'Manage a user account (useradd/usermod/userdel); the password is a hash, set through stdin',
  examples: `- name: the munge account with the on-prem uid (the key's owner must be the same everywhere)
  ansible.builtin.user:
    name: munge
    uid: 985
    group: munge
    system: true
    create_home: false
    home: /var/lib/munge
    shell: /sbin/nologin
- name: a cluster user with the on-prem uid, added to the gpu group
  ansible.builtin.user:
    name: alice
    uid: 20001
    group: hpc
    groups: [gpu]
    append: true
`,
  returns: {
    name: 'the login name',
    state: 'present or absent',
    uid: 'the uid (of an existing or created account)',
    group: 'the primary gid',
    home: 'the home directory',
    shell: 'the login shell',
    comment: 'the GECOS field',
    password: 'NOT_LOGGING_PASSWORD, when password is given',
  },
  args: Args,
  argAliases: { createhome: 'create_home' },
  secretArgs: ['password'],
  validate(a) {
    checkAccountName('user', a.name);
  },
  async check(ctx, a) {
    const args = a as UserArgs;
    if (a.password !== undefined && !HASH.test(a.password))
      ctx.warn(`user ${a.name}: the password does not look like a crypt hash; it is stored as given (use password_hash())`);
    const st = await ctx.fact(accountFact, { user: a.name, groups: groupsToResolve(args) });
    const d = planUser(args, st);
    if (d.missingGroups.length) {
      const msg = `Group ${d.missingGroups.join(', ')} does not exist`;
      // in check mode a group task before this one may not have run: say so, but plan anyway
      if (!ctx.checkMode) throw new ModuleError(msg);
      ctx.warn(`user ${a.name}: ${msg} (yet)`);
    }
    const result: ResultData = { name: a.name, state: a.state };
    if (st.user) Object.assign(result, { uid: st.user.uid, group: st.user.gid, home: st.user.home, shell: st.user.shell, comment: st.user.comment });
    if (a.password !== undefined) result.password = 'NOT_LOGGING_PASSWORD';
    if (!d.plan) return ok(result);
    const what = d.plan.action === 'modify' ? `change ${d.plan.changes.join(', ')} of` : d.plan.action;
    return change(`${what} user ${a.name}`, d.plan, { diff: d.diff ? [d.diff] : [], result });
  },
  async apply(ctx, a, plan) {
    const cmds = plan.steps.map((s) => shJoin(s));
    if (plan.setPassword) cmds.push('chpasswd -e');
    if (plan.lock) cmds.push(shJoin(['usermod', plan.lock === 'lock' ? '-L' : '-U', a.name]));
    if (a.state === 'present') cmds.push(`getent passwd ${shq(a.name)}`);
    const stdin = plan.setPassword ? `${a.name}:${a.password}\n` : undefined;
    const r = await ctx.runOk(cmds.join(' && '), stdin !== undefined ? { stdin } : {});
    if (a.state === 'absent') return;
    const e = parsePasswd(r.stdout.trim().split('\n').pop() ?? '');
    return e ? { uid: e.uid, group: e.gid, home: e.home, shell: e.shell, comment: e.comment } : undefined;
  },
});
