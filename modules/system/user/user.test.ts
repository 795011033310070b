import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { accountScript, parseAccount, type AccountState } from '../../../lib/accounts/account-facts.js';
import { planUser, type UserArgs } from './user-plan.js';
import { planGroup } from '../group/group.js';
import { res, runFake } from '../../../test/harness/system.js';

const base: UserArgs = {
  name: 'munge',
  state: 'present',
  non_unique: false,
  append: false,
  create_home: true,
  move_home: false,
  system: false,
  update_password: 'always',
  remove: false,
  force: false,
};
const grp = (name: string, gid: number) => ({ name, gid, members: [] });
const munge = { name: 'munge', uid: 11101, gid: 11101, comment: 'MUNGE', home: '/var/lib/munge', shell: '/usr/sbin/nologin' };
const existing = (over: Partial<AccountState> = {}): AccountState => ({
  user: munge,
  groupNames: ['munge', 'adm'],
  hash: '!',
  groups: { munge: grp('munge', 11101) },
  ...over,
});

describe('account facts: the real script on this machine (read-only)', () => {
  it('reads root and resolves groups by name and gid, misses unknown ones', () => {
    const q = { user: 'root', groups: ['root', '0', 'no-such-group-x'] };
    const out = execFileSync('/bin/sh', ['-c', accountScript(q)], { encoding: 'utf8' });
    const st = parseAccount(out, q);
    expect(st.user).toMatchObject({ name: 'root', uid: 0, gid: 0 });
    expect(st.groupNames[0]).toBe('root');
    expect(st.groups.root).toMatchObject({ name: 'root', gid: 0 });
    expect(st.groups['0']).toMatchObject({ name: 'root', gid: 0 });
    expect(st.groups['no-such-group-x']).toBeNull();
  });
  it('an absent user', () => {
    const q = { user: 'no-such-user-x', groups: [] };
    const st = parseAccount(execFileSync('/bin/sh', ['-c', accountScript(q)], { encoding: 'utf8' }), q);
    expect(st.user).toBeNull();
  });
  it('a numeric lookup answering for another name is not the user', () => {
    const st = parseAccount('passwd=root:x:0:0:root:/root:/bin/bash\ngroups=root\n', { user: '0', groups: [] });
    expect(st.user).toBeNull();
  });
  it('parses the shadow hash', () => {
    const st = parseAccount('passwd=a:x:1:1::/h:/bin/sh\ngroups=a b\nshadow=a:$6$s$h:19000:0:99999:7:::\n', { user: 'a', groups: [] });
    expect(st.hash).toBe('$6$s$h');
    expect(st.groupNames).toEqual(['a', 'b']);
  });
});

describe('planUser', () => {
  it.each<[string, Partial<UserArgs>, AccountState, string[][] | null, Partial<{ setPassword: boolean; lock: string }>?]>([
    [
      'create with fixed uid/gid group',
      { uid: 11101, group: 'munge', shell: '/usr/sbin/nologin', home: '/var/lib/munge', system: true },
      { user: null, groupNames: [], groups: { munge: grp('munge', 11101) } },
      [
        ['mkdir', '-p', '--', '/var/lib'],
        ['useradd', '-u', '11101', '-g', 'munge', '-d', '/var/lib/munge', '-s', '/usr/sbin/nologin', '-m', '-r', 'munge'],
      ],
    ],
    [
      'create: same-named group becomes primary (not -N)',
      { uid: 20001, create_home: false },
      { user: null, groupNames: [], groups: { munge: grp('munge', 20001) } },
      [['useradd', '-u', '20001', '-g', 'munge', '-M', 'munge']],
    ],
    ['create: no group of that name → useradd decides', {}, { user: null, groupNames: [], groups: { munge: null } }, [['useradd', '-m', 'munge']]],
    [
      'create with groups (primary left out of -G), comment, non_unique',
      { uid: 5, non_unique: true, group: 'munge', groups: 'adm, munge,users', comment: 'M U' },
      { user: null, groupNames: [], groups: { munge: grp('munge', 1), adm: grp('adm', 4), users: grp('users', 100) } },
      [['useradd', '-u', '5', '-o', '-g', 'munge', '-G', 'adm,users', '-c', 'M U', '-m', 'munge']],
    ],
    [
      'create with password: hash via chpasswd, then lock',
      { password: '$6$salt$hash', password_lock: true },
      { user: null, groupNames: [], groups: { munge: null } },
      [['useradd', '-m', 'munge']],
      { setPassword: true, lock: 'lock' },
    ],
    [
      'exists and matches: nothing',
      { uid: 11101, group: 'munge', shell: '/usr/sbin/nologin', home: '/var/lib/munge', comment: 'MUNGE', groups: ['adm'] },
      existing(),
      null,
    ],
    ['uid and shell differ', { uid: 11102, shell: '/bin/bash' }, existing(), [['usermod', '-u', '11102', '-s', '/bin/bash', 'munge']]],
    ['primary group differs (by gid)', { group: 'other' }, existing({ groups: { other: grp('other', 500) } }), [['usermod', '-g', 'other', 'munge']]],
    ['primary group given by gid that matches', { group: '11101' }, existing({ groups: { '11101': grp('munge', 11101) } }), null],
    [
      'groups exact: drop adm, add users',
      { groups: ['users'] },
      existing({ groups: { users: grp('users', 100), munge: grp('munge', 11101) } }),
      [['usermod', '-G', 'users', 'munge']],
    ],
    [
      'groups append: only missing ones, no removal',
      { groups: ['users', 'adm'], append: true },
      existing({ groups: { users: grp('users', 100), adm: grp('adm', 4) } }),
      [['usermod', '-a', '-G', 'users', 'munge']],
    ],
    ['groups append: all present → nothing', { groups: ['adm'], append: true }, existing({ groups: { adm: grp('adm', 4) } }), null],
    ["groups '' removes all", { groups: '' }, existing(), [['usermod', '-G', '', 'munge']]],
    ['home moves with move_home', { home: '/home/munge', move_home: true }, existing(), [['usermod', '-d', '/home/munge', '-m', 'munge']]],
    ['password differs', { password: '$6$new$x' }, existing({ hash: '$6$old$y' }), [], { setPassword: true }],
    ['password same (also when locked)', { password: '$6$same$x' }, existing({ hash: '!$6$same$x' }), null],
    ['password differs but on_create', { password: '$6$new$x', update_password: 'on_create' }, existing({ hash: '$6$old$y' }), null],
    ['lock an unlocked account', { password_lock: true }, existing({ hash: '$6$a$b' }), [], { lock: 'lock' }],
    ['unlock a locked account', { password_lock: false }, existing({ hash: '!$6$a$b' }), [], { lock: 'unlock' }],
    ['absent: userdel -r -f', { state: 'absent', remove: true, force: true }, existing(), [['userdel', '-r', '-f', 'munge']]],
    ['absent and missing: nothing', { state: 'absent' }, { user: null, groupNames: [], groups: {} }, null],
  ])('%s', (_t, over, st, steps, extra) => {
    const d = planUser({ ...base, ...over }, st);
    if (steps === null) return expect(d.plan).toBeNull();
    expect(d.plan?.steps).toEqual(steps);
    expect(d.plan?.setPassword ?? false).toBe(extra?.setPassword ?? false);
    expect(d.plan?.lock).toBe(extra?.lock);
  });
  it('reports missing groups', () => {
    expect(
      planUser({ ...base, group: 'nope', groups: ['adm', 'gone'] }, { user: null, groupNames: [], groups: { nope: null, adm: grp('adm', 4), gone: null } })
        .missingGroups,
    ).toEqual(['nope', 'gone']);
  });
  it('the diff never shows the hash', () => {
    const d = planUser({ ...base, password: '$6$new$secret' }, existing({ hash: '$6$old$oldsecret' }));
    expect(d.diff?.before + '' + d.diff?.after).not.toMatch(/secret/);
    expect(d.diff?.after).toContain('password: (new hash)');
  });
});

describe('user module', () => {
  const noUser = 'nouser\ngroup=munge=munge:x:11101:\n';
  it('create: one read, one write; the hash goes on stdin, never in the script', async () => {
    const r = await runFake('user', { name: 'munge', uid: 11101, group: 'munge', password: '$6$salt$SECRETHASH' }, (s) =>
      s.startsWith('if _p=') ? res(noUser) : res('munge:x:11101:11101::/home/munge:/bin/sh\n'),
    );
    expect(r.commands).toHaveLength(2);
    const apply = r.commands[1]!;
    expect(apply.script).toBe('useradd -u 11101 -g munge -m munge && chpasswd -e && getent passwd munge');
    expect(apply.opts.stdin).toBe('munge:$6$salt$SECRETHASH\n');
    expect(JSON.stringify(r.result)).not.toContain('SECRETHASH');
    expect(r.result).toMatchObject({ changed: true, uid: 11101, group: 11101, password: 'NOT_LOGGING_PASSWORD' });
  });
  it('no-op: exactly one command', async () => {
    const out = 'passwd=munge:x:11101:11101:MUNGE:/var/lib/munge:/usr/sbin/nologin\ngroups=munge\nshadow=munge:!:1::::::\ngroup=munge=munge:x:11101:\n';
    const r = await runFake('user', { name: 'munge', uid: 11101, group: 'munge' }, () => res(out));
    expect(r.commands).toHaveLength(1);
    expect(r.result).toMatchObject({ changed: false, uid: 11101 });
  });
  it('missing group fails (but only warns in check mode)', async () => {
    const out = 'nouser\nnogroup=ghost\n';
    const a = await runFake('user', { name: 'x', group: 'ghost' }, () => res(out));
    expect(a.result).toMatchObject({ failed: true, msg: 'Group ghost does not exist' });
    const b = await runFake('user', { name: 'x', group: 'ghost' }, () => res(out), { check: true });
    expect(b.result).toMatchObject({ changed: true });
    expect(b.warnings.join()).toMatch(/ghost does not exist/);
    expect(b.commands).toHaveLength(1);
  });
  it.each([
    [{ name: 'bad name' }, /invalid user name/],
    [{ name: 'x', uid: -1 }, /uid/],
    [{ name: 'x', state: 'gone' }, /argument 'state'/],
  ])('%j rejected', async (args, err) => {
    await expect(runFake('user', args, () => res())).rejects.toThrow(err);
  });
});

describe('group', () => {
  const a = { name: 'slurm', state: 'present' as const, system: false, non_unique: false, force: false };
  it.each([
    ['create with gid', { gid: 11100 }, null, ['groupadd', '-g', '11100', 'slurm']],
    ['create system, non-unique', { gid: 5, non_unique: true, system: true }, null, ['groupadd', '-g', '5', '-o', '-r', 'slurm']],
    ['gid differs', { gid: 11100 }, grp('slurm', 999), ['groupmod', '-g', '11100', 'slurm']],
    ['gid matches', { gid: 11100 }, grp('slurm', 11100), null],
    ['exists, no gid asked', {}, grp('slurm', 999), null],
    ['absent', { state: 'absent' as const }, grp('slurm', 999), ['groupdel', 'slurm']],
    ['absent, missing', { state: 'absent' as const }, null, null],
  ])('%s', (_t, over, cur, argv) => {
    const p = planGroup({ ...a, ...over }, cur);
    expect(p?.plan.argv ?? null).toEqual(argv);
  });
  it('module: one command no-op, diff on change', async () => {
    const ok = await runFake('group', { name: 'slurm', gid: 11100 }, () => res('group=slurm=slurm:x:11100:\n'));
    expect(ok.result).toMatchObject({ changed: false, gid: 11100 });
    expect(ok.commands).toHaveLength(1);
    const ch = await runFake('ansible.builtin.group', { name: 'slurm', gid: 11100 }, (s) =>
      s.startsWith('if _e=') ? res('group=slurm=slurm:x:999:\n') : res(),
    );
    expect(ch.result).toMatchObject({ changed: true, diff: [{ before: 'name: slurm\ngid: 999\n', after: 'name: slurm\ngid: 11100\n' }] });
    expect(ch.commands[1]!.script).toBe('groupmod -g 11100 slurm');
  });
});
