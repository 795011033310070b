import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { parsePkg, pkgNames, pkgScript, type PkgFacts } from '../../../lib/packages/pkg-facts.js';
import { aptChanged, aptCommands, planApt, type AptArgs } from '../../../lib/packages/apt-plan.js';
import { dnfCommands, planDnf, type DnfArgs } from '../../../lib/packages/dnf-plan.js';
import { res, runFake } from '../../../test/harness/system.js';

const facts = (over: Partial<PkgFacts> = {}): PkgFacts => ({
  mgr: 'apt',
  apt: {},
  cacheTime: 1000,
  now: 2000,
  policy: {},
  autoremove: [],
  rpmInstalled: [],
  updates: [],
  ...over,
});
const ii = (version: string) => [{ status: 'ii ', version }];
const apt = (over: Partial<AptArgs>): AptArgs => ({
  names: [],
  state: 'present',
  update_cache: false,
  cache_valid_time: 0,
  purge: false,
  autoremove: false,
  allow_downgrade: false,
  dpkg_options: 'force-confdef,force-confold',
  lock_timeout: 60,
  force: false,
  ...over,
});
const dnf = (over: Partial<DnfArgs>): DnfArgs => ({
  names: [],
  state: 'present',
  update_cache: false,
  disable_gpg_check: false,
  enablerepo: [],
  disablerepo: [],
  allowerasing: false,
  autoremove: false,
  exclude: [],
  install_weak_deps: true,
  ...over,
});

describe('package facts', () => {
  it('the real script on this Debian machine (read-only): finds bash, misses a bogus name', () => {
    const q = { names: ['bash', 'no-such-package-x', 'coreutils=0.0'], latest: true };
    const f = parsePkg(execFileSync('/bin/sh', ['-c', pkgScript(q)], { encoding: 'utf8' }));
    expect(f.mgr).toBe('apt');
    expect(f.apt.bash?.[0]?.status).toMatch(/^ii/);
    expect(f.apt['no-such-package-x']).toBeUndefined();
    expect(f.apt.coreutils?.[0]?.version).toMatch(/^\d/);
    expect(f.now).toBeGreaterThan(1_600_000_000);
    expect(f.policy.bash?.installed).toBe(f.apt.bash?.[0]?.version);
  });
  it('parses rpm answers, deb fields, autoremove', () => {
    const f = parsePkg('mgr=dnf\nrpm=bash\nrpm=/usr/bin/perl\nupdate=bash\n');
    expect(f).toMatchObject({ mgr: 'dnf', rpmInstalled: ['bash', '/usr/bin/perl'], updates: ['bash'] });
    const g = parsePkg('mgr=apt\ndebPackage: hello\ndebVersion: 2.10-3\nautoremove=libfoo1\n');
    expect(g.deb).toEqual({ name: 'hello', version: '2.10-3' });
    expect(g.autoremove).toEqual(['libfoo1']);
  });
  it('names: list or comma string', () => {
    expect(pkgNames('a, b,c')).toEqual(['a', 'b', 'c']);
    expect(pkgNames(['a', 'b,c'])).toEqual(['a', 'b', 'c']);
    expect(pkgNames(undefined)).toEqual([]);
  });
});

describe('planApt', () => {
  it.each<[string, Partial<AptArgs>, Partial<PkgFacts>, object | null]>([
    ['present, installed', { names: ['less'] }, { apt: { less: ii('590-2') } }, null],
    ['present, missing', { names: ['less', 'vim'] }, { apt: { less: ii('590-2') } }, { install: ['vim'] }],
    ['config-files only counts as missing', { names: ['less'] }, { apt: { less: [{ status: 'rc ', version: '590-2' }] } }, { install: ['less'] }],
    ['version pinned, matches', { names: ['less=590-2'] }, { apt: { less: ii('590-2') } }, null],
    ['version glob matches', { names: ['less=590*'] }, { apt: { less: ii('590-2') } }, null],
    ['version pinned, differs', { names: ['less=600-1'] }, { apt: { less: ii('590-2') } }, { install: ['less=600-1'] }],
    ['absent, installed', { names: ['less'], state: 'absent' }, { apt: { less: ii('590-2') } }, { remove: ['less'] }],
    ['absent, not installed', { names: ['less'], state: 'absent' }, {}, null],
    ['absent, config files left: nothing without purge', { names: ['less'], state: 'removed' }, { apt: { less: [{ status: 'rc ', version: '1' }] } }, null],
    [
      'absent + purge, config files left: purge',
      { names: ['less'], state: 'absent', purge: true },
      { apt: { less: [{ status: 'rc ', version: '1' }] } },
      { remove: ['less'], purge: true },
    ],
    ['latest, up to date', { names: ['less'], state: 'latest' }, { apt: { less: ii('1') }, policy: { less: { installed: '1', candidate: '1' } } }, null],
    [
      'latest, newer candidate',
      { names: ['less'], state: 'latest' },
      { apt: { less: ii('1') }, policy: { less: { installed: '1', candidate: '2' } } },
      { install: ['less'] },
    ],
    ['update_cache, nothing to install: no update (one command no-op)', { names: ['less'], update_cache: true }, { apt: { less: ii('1') } }, null],
    [
      'update_cache, installing, stale: update first',
      { names: ['vim'], update_cache: true, cache_valid_time: 600 },
      { cacheTime: 1000, now: 2000 },
      { updateCache: true, install: ['vim'] },
    ],
    [
      'update_cache, installing, fresh: no update',
      { names: ['vim'], update_cache: true, cache_valid_time: 3600 },
      { cacheTime: 1000, now: 2000 },
      { updateCache: false, install: ['vim'] },
    ],
    ['update_cache alone, stale', { update_cache: true, cache_valid_time: 60 }, {}, { updateCache: true, install: [], remove: [] }],
    ['update_cache alone, fresh', { update_cache: true, cache_valid_time: 6000 }, {}, null],
    [
      'latest + stale cache: decided after the update',
      { names: ['less'], state: 'latest', update_cache: true },
      { apt: { less: ii('1') } },
      { updateCache: true, install: ['less'], deferred: true },
    ],
    ['deb, same version installed', { deb: '/tmp/h.deb' }, { deb: { name: 'hello', version: '1' }, apt: { hello: ii('1') } }, null],
    ['deb, not installed', { deb: '/tmp/h.deb' }, { deb: { name: 'hello', version: '1' } }, { deb: '/tmp/h.deb' }],
    ['autoremove alone with something to remove', { autoremove: true }, { autoremove: ['libx'] }, { autoremove: true }],
    ['autoremove alone, nothing', { autoremove: true }, {}, null],
  ])('%s', (_t, a, f, want) => {
    const d = planApt(apt(a), facts(f));
    expect('error' in d).toBe(false);
    if (!('plan' in d)) return;
    if (want === null) expect(d.plan).toBeNull();
    else expect(d.plan).toMatchObject(want);
  });
  it('deb errors', () => {
    expect(planApt(apt({ deb: '/x.deb' }), facts())).toEqual({ error: expect.stringMatching(/does not exist/) });
    expect(planApt(apt({ deb: '/x.deb', state: 'absent' }), facts())).toEqual({ error: 'deb only supports state=present' });
  });
  it('commands: noninteractive, confold, lock timeout, -- before names', () => {
    const c = aptCommands(apt({ install_recommends: false }), {
      updateCache: true,
      install: ['vim'],
      remove: [],
      purge: false,
      autoremove: false,
      deferred: false,
    });
    expect(c).toContain('DEBIAN_FRONTEND=noninteractive');
    expect(c).toContain('apt-get -q update');
    expect(c).toContain(
      'apt-get -y -q -o DPkg::Lock::Timeout=60 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install -- vim',
    );
    const r = aptCommands(apt({}), { updateCache: false, install: [], remove: ['less'], purge: true, autoremove: true, deferred: false });
    expect(r).toMatch(/--auto-remove purge -- less/);
    const d = aptCommands(apt({}), { updateCache: false, install: [], remove: [], purge: false, autoremove: false, deferred: false, deb: 'h.deb' });
    expect(d).toMatch(/install -- \.\/h\.deb/);
  });
  it('apt-get summary tells whether anything happened', () => {
    expect(aptChanged('0 upgraded, 0 newly installed, 0 to remove and 3 not upgraded.')).toBe(false);
    expect(aptChanged('1 upgraded, 0 newly installed, 0 to remove and 2 not upgraded.')).toBe(true);
  });
});

describe('planDnf', () => {
  it.each<[string, Partial<DnfArgs>, Partial<PkgFacts>, object | null]>([
    ['present, installed', { names: ['bash'] }, { rpmInstalled: ['bash'] }, null],
    ['present, missing', { names: ['bash', 'munge-0.5.13'] }, { rpmInstalled: ['bash'] }, { install: ['munge-0.5.13'] }],
    ['absent', { names: ['bash', 'vim'], state: 'absent' }, { rpmInstalled: ['bash'] }, { remove: ['bash'] }],
    [
      'latest: missing installed, outdated upgraded',
      { names: ['bash', 'vim', 'zsh'], state: 'latest' },
      { rpmInstalled: ['bash', 'zsh'], updates: ['bash'] },
      { install: ['vim'], upgrade: ['bash'] },
    ],
    ['update_cache only when installing', { names: ['bash'], update_cache: true }, { rpmInstalled: ['bash'] }, null],
  ])('%s', (_t, a, f, want) => {
    const d = planDnf(dnf(a), facts({ mgr: 'dnf', ...f }), 'dnf');
    if (!('plan' in d)) throw new Error('unexpected error');
    if (want === null) expect(d.plan).toBeNull();
    else expect(d.plan).toMatchObject(want);
  });
  it("name '*' with state=latest upgrades every package (never `install '*'`); nothing to upgrade: ok", () => {
    const d = planDnf(dnf({ names: ['*'], state: 'latest' }), facts({ mgr: 'dnf', updates: ['bash', 'openssl'] }), 'dnf');
    if (!('plan' in d) || !d.plan) throw new Error('expected a plan');
    expect(d.plan).toMatchObject({ install: [], upgrade: [], upgradeAll: true });
    const c = dnfCommands(dnf({}), d.plan);
    expect(c).toContain('dnf -y -q upgrade\n');
    expect(c).not.toContain('install');
    expect(planDnf(dnf({ names: ['*'], state: 'latest' }), facts({ mgr: 'dnf', updates: [] }), 'dnf')).toEqual({ plan: null });
    for (const state of ['present', 'absent'] as const) {
      expect(planDnf(dnf({ names: ['*'], state }), facts({ mgr: 'dnf' }), 'dnf')).toEqual({ error: expect.stringMatching(/with state=latest/) });
    }
  });
  it('groups are refused', () => {
    expect(planDnf(dnf({ names: ['@core'] }), facts({ mgr: 'dnf' }), 'dnf')).toEqual({ error: expect.stringMatching(/groups/) });
  });
  it('commands', () => {
    const c = dnfCommands(dnf({ disable_gpg_check: true, enablerepo: ['epel'] }), {
      tool: 'dnf',
      makecache: true,
      install: ['munge'],
      upgrade: [],
      upgradeAll: false,
      remove: [],
    });
    expect(c).toContain('dnf -y -q --nogpgcheck --enablerepo=epel makecache');
    expect(c).toContain('dnf -y -q --nogpgcheck --enablerepo=epel install -- munge');
    expect(dnfCommands(dnf({}), { tool: 'yum', makecache: false, install: [], upgrade: [], upgradeAll: false, remove: ['x'] })).toContain(
      'yum -y -q remove -- x',
    );
  });
});

describe('package / apt / dnf modules', () => {
  const aptOut = 'mgr=apt\npkg=less\tii \t590-2\ncache=0\nnow=5\n';
  it('package picks apt; no-op is one command', async () => {
    const r = await runFake('package', { name: 'less', state: 'present' }, () => res(aptOut));
    expect(r.commands).toHaveLength(1);
    expect(r.result.changed).toBe(false);
  });
  it('package picks apt to remove', async () => {
    const r = await runFake('ansible.builtin.package', { name: ['less'], state: 'absent' }, (s) =>
      s.startsWith('if command') ? res(aptOut) : res('Removing less\n'),
    );
    expect(r.commands[1]!.script).toMatch(/apt-get .* remove -- less/);
    expect(r.result).toMatchObject({ changed: true });
  });
  it('package picks dnf on a Red Hat host', async () => {
    const r = await runFake('package', { name: 'munge' }, (s) => (s.startsWith('if command') ? res('mgr=dnf\n') : res()));
    expect(r.commands[1]!.script).toContain('dnf -y -q install -- munge');
  });
  it("package passes the backend's arguments on, as ansible-core's package action does", async () => {
    const d = await runFake('package', { name: 'fail2ban', enablerepo: 'epel' }, (s) => (s.startsWith('if command') ? res('mgr=dnf\n') : res()));
    expect(d.commands[1]!.script).toContain('--enablerepo=epel');
    const a = await runFake('package', { name: 'fail2ban', enablerepo: 'epel' }, () => res(aptOut));
    expect(a.result).toMatchObject({
      failed: true,
      msg: expect.stringMatching(/^Unsupported parameters for \(ansible.legacy.apt\) module: enablerepo\. Supported parameters include: /),
    });
    const u = await runFake('package', { name: 'vim', update_cache: true }, (s) => (s.startsWith('if command') ? res(aptOut) : res()));
    expect(u.commands[1]!.script).toMatch(/apt-get .*update/);
  });
  it('yum alias works where only yum exists', async () => {
    const r = await runFake('yum', { name: 'munge', state: 'installed' }, (s) => (s.startsWith('if command') ? res('mgr=yum\n') : res()));
    expect(r.commands[1]!.script).toContain('yum -y -q install -- munge');
  });
  it('apt on a dnf host fails clearly', async () => {
    const r = await runFake('apt', { name: 'x' }, () => res('mgr=dnf\n'));
    expect(r.result).toMatchObject({ failed: true, msg: expect.stringMatching(/apt-get is not available.*dnf/) });
  });
  it('apt latest with a stale cache: changed only if apt-get did something', async () => {
    const run = (summary: string) =>
      runFake('apt', { name: 'less', state: 'latest', update_cache: true }, (s) => (s.startsWith('if command') ? res(aptOut) : res(`${summary}\n`)));
    expect((await run('0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.')).result).toMatchObject({ changed: false, cache_updated: true });
    expect((await run('1 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.')).result).toMatchObject({ changed: true, cache_updated: true });
  });
  it.each([
    ['apt', {}, /one of the following is required/],
    ['apt', { name: 'x', state: 'newest' }, /argument 'state'/],
    ['package', { state: 'present' }, /missing required argument 'name'/],
  ])('%s %j rejected', async (m, args, err) => {
    await expect(runFake(m, args, () => res())).rejects.toThrow(err);
  });
});
