import { describe, expect, it } from 'vitest';
import { parseServiceState, serviceActionCommand, serviceEnableCommand, serviceStateScript, type ServiceState } from '../../../lib/services/service.js';
import { planService, type ServiceWanted } from '../../../lib/services/service-plan.js';
import { res, runFake } from '../../../test/harness/system.js';

const sysv = (over: Partial<ServiceState> = {}): ServiceState => ({
  init: 'sysv',
  name: 'autofs',
  exists: true,
  running: true,
  enabled: true,
  masked: false,
  detail: 'update-rc.d',
  ...over,
});
const sd = (over: Partial<ServiceState> = {}): ServiceState => ({
  init: 'systemd',
  name: 'autofs',
  exists: true,
  running: true,
  enabled: true,
  masked: false,
  detail: 'enabled',
  ...over,
});

describe('service state parsing', () => {
  it.each([
    [
      'systemd running enabled',
      'init=systemd\nLoadState=loaded\nActiveState=active\nisenabled=enabled 0\n',
      { init: 'systemd', exists: true, running: true, enabled: true, masked: false },
    ],
    ['systemd inactive disabled', 'init=systemd\nLoadState=loaded\nActiveState=inactive\nisenabled=disabled 1\n', { running: false, enabled: false }],
    ['systemd static unit: enabled n/a', 'init=systemd\nLoadState=loaded\nActiveState=inactive\nisenabled=static 0\n', { enabled: null }],
    ['systemd masked', 'init=systemd\nLoadState=masked\nActiveState=inactive\nisenabled=masked 1\n', { masked: true, exists: true }],
    ['systemd unknown unit', 'init=systemd\nLoadState=not-found\nActiveState=inactive\nisenabled= 1\n', { exists: false }],
    [
      'sysv running, S links',
      'init=sysv\nscript=yes\nstatus=0\nrctool=update-rc.d\nenabled=yes\n',
      { init: 'sysv', exists: true, running: true, enabled: true, detail: 'update-rc.d' },
    ],
    ['sysv stopped (LSB 3), K links', 'init=sysv\nscript=yes\nstatus=3\nrctool=update-rc.d\nenabled=no\n', { running: false, enabled: false }],
    [
      'sysv no status action: falls back to the process list',
      'init=sysv\nscript=yes\nstatus=4\nps=yes\nrctool=chkconfig\nenabled=no\n',
      { running: true, detail: 'chkconfig' },
    ],
    ['sysv no script', 'init=sysv\nscript=no\nrctool=update-rc.d\nenabled=no\n', { exists: false }],
    ['sysv without a boot-link tool', 'init=sysv\nscript=yes\nstatus=0\nrctool=none\n', { enabled: null }],
  ])('%s', (_t, out, want) => {
    expect(parseServiceState(out, 'autofs')).toMatchObject(want);
  });
});

describe('planService', () => {
  it.each<[string, ServiceWanted, ServiceState, object | null]>([
    ['started, running', { state: 'started' }, sysv(), null],
    ['started, stopped', { state: 'started' }, sysv({ running: false }), { action: 'start' }],
    ['started, unknown → start', { state: 'started' }, sysv({ running: null }), { action: 'start' }],
    ['stopped, running', { state: 'stopped' }, sd(), { action: 'stop' }],
    ['stopped, stopped', { state: 'stopped' }, sd({ running: false }), null],
    ['restarted always', { state: 'restarted' }, sysv(), { action: 'restart' }],
    ['reloaded running → reload', { state: 'reloaded' }, sd(), { action: 'reload' }],
    ['reloaded stopped → start', { state: 'reloaded' }, sd({ running: false }), { action: 'start' }],
    [
      'enable a disabled sysv service and start it',
      { state: 'started', enabled: true },
      sysv({ running: false, enabled: false }),
      { enable: true, action: 'start' },
    ],
    ['disable only', { enabled: false }, sd(), { enable: false }],
    ['enabled already', { enabled: true }, sd(), null],
    ['static unit: enabled is not applicable', { enabled: false }, sd({ enabled: null, detail: 'static' }), null],
    ['unmask + start', { masked: false, state: 'started' }, sd({ masked: true, running: false }), { mask: false, action: 'start' }],
    ['mask', { masked: true }, sd(), { mask: true }],
  ])('%s', (_t, w, st, want) => {
    const d = planService(w, st);
    expect('error' in d).toBe(false);
    if ('plan' in d) expect(d.plan).toEqual(want);
  });
  it.each<[string, ServiceWanted, ServiceState, RegExp]>([
    ['missing service', { state: 'started' }, sysv({ exists: false }), /Could not find the requested service autofs/],
    ['sysv without update-rc.d/chkconfig', { enabled: true }, sysv({ enabled: null, detail: 'none' }), /neither update-rc.d nor chkconfig/],
    ['masking without systemd', { masked: true }, sysv(), /masking needs systemd/],
  ])('error: %s', (_t, w, st, err) => {
    const d = planService(w, st);
    expect('error' in d && d.error).toMatch(err);
  });
});

describe('service commands per init system', () => {
  it('systemd uses systemctl', () => {
    expect(serviceActionCommand(sd(), 'restart')).toBe('systemctl restart -- autofs');
    expect(serviceEnableCommand(sd(), true)).toBe('systemctl enable -- autofs');
  });
  it('sysv runs the init script with its output in a temp file (daemons cannot hold the connection)', () => {
    const c = serviceActionCommand(sysv(), 'start', { args: '--verbose' });
    expect(c).toContain('/etc/init.d/autofs start --verbose </dev/null >"$_o" 2>&1');
    expect(serviceEnableCommand(sysv(), true)).toBe('{ update-rc.d autofs defaults >/dev/null 2>&1; update-rc.d autofs enable; }');
    expect(serviceEnableCommand(sysv(), false)).toBe('update-rc.d autofs disable');
    expect(serviceEnableCommand(sysv({ detail: 'chkconfig' }), false)).toBe('chkconfig autofs off');
  });
  it('a unit name with .service finds the init script by its plain name', () => {
    expect(serviceActionCommand(sysv({ name: 'autofs.service' }), 'stop')).toContain('/etc/init.d/autofs stop');
    expect(serviceEnableCommand(sysv({ name: 'autofs.service' }), false)).toBe('update-rc.d autofs disable');
    expect(serviceStateScript('autofs.service')).toContain('[ -x /etc/init.d/autofs ]');
    expect(serviceStateScript('autofs.service')).toContain('systemctl show -p LoadState -p ActiveState -- autofs.service');
  });
  it('restart with sleep: stop, sleep, start', () => {
    const c = serviceActionCommand(sd(), 'restart', { sleep: 2 });
    expect(c).toBe('systemctl stop -- autofs && sleep 2 && systemctl start -- autofs');
  });
});

describe('service / systemd modules', () => {
  const stopped = 'init=sysv\nscript=yes\nstatus=3\nrctool=update-rc.d\nenabled=no\n';
  it('no-op costs one command', async () => {
    const r = await runFake('service', { name: 'autofs', state: 'started', enabled: true }, () =>
      res('init=sysv\nscript=yes\nstatus=0\nrctool=update-rc.d\nenabled=yes\n'),
    );
    expect(r.commands).toHaveLength(1);
    expect(r.result).toMatchObject({ changed: false, name: 'autofs', state: 'started', enabled: true });
  });
  it('change: one command more, enable before start', async () => {
    const r = await runFake('ansible.builtin.service', { name: 'autofs', state: 'started', enabled: 'yes' }, (s) =>
      s.includes('init=') ? res(stopped) : res(),
    );
    expect(r.commands).toHaveLength(2);
    const apply = r.commands[1]!.script;
    expect(apply.indexOf('update-rc.d autofs enable')).toBeLessThan(apply.indexOf('/etc/init.d/autofs start'));
    expect(r.result.changed).toBe(true);
  });
  it('check mode: reports the change, runs only the read', async () => {
    const r = await runFake('service', { name: 'autofs', state: 'started' }, () => res(stopped), { check: true });
    expect(r.result).toMatchObject({ changed: true });
    expect(r.commands).toHaveLength(1);
  });
  it('a failing init script fails the task with its output', async () => {
    const r = await runFake('service', { name: 'autofs', state: 'started' }, (s) => (s.includes('init=') ? res(stopped) : res('Starting autofs: failed\n', 1)));
    expect(r.result).toMatchObject({ failed: true });
    expect(String(r.result.msg)).toContain('Starting autofs: failed');
  });
  it('systemd module: daemon_reload runs in prepare(), before the state is read, not counted as a change', async () => {
    const r = await runFake('ansible.builtin.systemd', { name: 'munge', daemon_reload: true, state: 'started' }, () =>
      res('init=systemd\nLoadState=loaded\nActiveState=active\nisenabled=enabled 0\n'),
    );
    expect(r.commands).toHaveLength(2);
    expect(r.commands[0]!.script).toContain('systemctl daemon-reload');
    expect(r.commands[1]!.script).toContain('systemctl show -p LoadState');
    expect(r.commands[1]!.script).not.toContain('daemon-reload');
    expect(r.result.changed).toBe(false);
  });
  it('systemd module: daemon_reload is skipped in check mode', async () => {
    const r = await runFake(
      'systemd',
      { name: 'munge', daemon_reload: true, state: 'started' },
      () => res('init=systemd\nLoadState=loaded\nActiveState=active\nisenabled=enabled 0\n'),
      { check: true },
    );
    expect(r.commands[0]!.script).not.toContain('daemon-reload');
  });
  it.each([
    ['service', { name: 'x' }, /one of the following is required: state, enabled/],
    ['service', { name: 'x', state: 'running' }, /argument 'state'/],
    ['systemd', { state: 'started' }, /name is required/],
    ['systemd', { name: 'x', state: 'started', scope: 'user' }, /scope=user is not supported/],
  ])('%s %j rejected', async (m, args, err) => {
    await expect(runFake(m, args, () => res())).rejects.toThrow(err);
  });
});
