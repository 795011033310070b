/**
 * Services on the target, for the service/systemd modules and for any module that must restart a daemon.
 * One fact reads the init system AND the service's state in a single command: systemd when it is PID 1
 * (`/run/systemd/system` exists, the sd_booted() test), else SysV init scripts with update-rc.d (Debian) or
 * chkconfig (Red Hat) for boot-time enabling.
 */
import { defineFact } from '../../src/contract/index.js';
import { shq } from '../shell/quote.js';
import { keyValues } from '../shell/parts.js';

export type InitSystem = 'systemd' | 'sysv';

export interface ServiceState {
  init: InitSystem;
  name: string;
  /** the unit / init script exists */
  exists: boolean;
  /** null: could not tell */
  running: boolean | null;
  /** null: not applicable (static/generated units, or no tool to manage boot links) */
  enabled: boolean | null;
  /** systemd: the unit is masked */
  masked: boolean;
  /** systemd: `systemctl is-enabled` output; sysv: the boot-link tool */
  detail: string;
}

export type ServiceAction = 'start' | 'stop' | 'restart' | 'reload';

/** Detection + state, one snippet; prints key=value lines. */
/** The init script's name: a unit name's ".service" suffix does not belong to it. */
export function sysvName(name: string): string {
  return name.replace(/\.service$/, '');
}

export function serviceStateScript(name: string): string {
  const n = shq(name);
  const s = shq(sysvName(name));
  return `if [ -d /run/systemd/system ]; then
  echo init=systemd
  systemctl show -p LoadState -p ActiveState -- ${n} 2>/dev/null
  _e=$(systemctl is-enabled -- ${n} 2>/dev/null); echo "isenabled=$_e $?"
else
  echo init=sysv
  if [ -x /etc/init.d/${s} ]; then
    echo script=yes
    /etc/init.d/${s} status </dev/null >/dev/null 2>&1; _r=$?; echo "status=$_r"
    if [ "$_r" -ge 4 ]; then
      if pgrep -x ${s} >/dev/null 2>&1; then echo ps=yes; else echo ps=no; fi
    fi
  else
    echo script=no
  fi
  if command -v update-rc.d >/dev/null 2>&1; then
    echo rctool=update-rc.d
    _en=no; for _l in /etc/rc[2345S].d/S[0-9][0-9]${s}; do [ -e "$_l" ] && _en=yes; done; echo "enabled=$_en"
  elif command -v chkconfig >/dev/null 2>&1; then
    echo rctool=chkconfig
    if chkconfig ${s} >/dev/null 2>&1; then echo enabled=yes; else echo enabled=no; fi
  else
    echo rctool=none
  fi
fi`;
}

const NOT_CHANGEABLE = new Set(['static', 'indirect', 'generated', 'transient']);

export function parseServiceState(stdout: string, name: string): ServiceState {
  const kv = new Map([...keyValues(stdout)].map(([k, v]) => [k, v.trim()]));
  if (kv.get('init') === 'systemd') {
    const load = kv.get('LoadState') ?? '';
    const active = kv.get('ActiveState') ?? '';
    const [isEnabled = '', rcText = '1'] = (kv.get('isenabled') ?? '').split(' ');
    const masked = load === 'masked' || isEnabled.startsWith('masked');
    return {
      init: 'systemd',
      name,
      exists: load !== '' && load !== 'not-found',
      running: ['active', 'reloading', 'activating'].includes(active),
      enabled: NOT_CHANGEABLE.has(isEnabled) ? null : rcText === '0',
      masked,
      detail: isEnabled,
    };
  }
  const status = kv.has('status') ? Number(kv.get('status')) : NaN;
  let running: boolean | null = null;
  if (status === 0) running = true;
  else if (status >= 1 && status <= 3) running = false;
  else if (kv.get('ps') === 'yes') running = true;
  else if (kv.get('ps') === 'no') running = false;
  const tool = kv.get('rctool') ?? 'none';
  return {
    init: 'sysv',
    name,
    exists: kv.get('script') === 'yes',
    running,
    enabled: tool === 'none' ? null : kv.get('enabled') === 'yes',
    masked: false,
    detail: tool,
  };
}

export const serviceStateFact = defineFact<string, ServiceState>({
  name: 'service_state',
  command: (name) => serviceStateScript(name),
  parse: (r, name) => parseServiceState(r.stdout, name),
});

/** Init system only (ansible_service_mgr). */
export const initSystemFact = defineFact<void, InitSystem>({
  name: 'init_system',
  command: () => 'if [ -d /run/systemd/system ]; then echo systemd; else echo sysv; fi',
  parse: (r) => (r.stdout.trim() === 'systemd' ? 'systemd' : 'sysv'),
});

/**
 * Start/stop/restart/reload, as a snippet whose status is the action's. Init scripts run with their output in a
 * temp file that is printed afterwards, so a daemon that keeps its inherited stdout open cannot hold the
 * connection. `sleep` (restart only) stops, waits, then starts.
 */
export function serviceActionCommand(st: Pick<ServiceState, 'init' | 'name'>, action: ServiceAction, opts: { args?: string; sleep?: number } = {}): string {
  const n = shq(st.name);
  if (action === 'restart' && opts.sleep) {
    return `${serviceActionCommand(st, 'stop', opts)} && sleep ${Math.max(0, Math.floor(opts.sleep))} && ${serviceActionCommand(st, 'start', opts)}`;
  }
  if (st.init === 'systemd') return `systemctl ${action} -- ${n}`;
  const extra = opts.args ? ` ${opts.args}` : '';
  return `{ _o=$(mktemp) || exit 1; /etc/init.d/${shq(sysvName(st.name))} ${action}${extra} </dev/null >"$_o" 2>&1; _r=$?; cat "$_o"; rm -f "$_o"; [ "$_r" -eq 0 ]; }`;
}

/** Enable or disable at boot. */
export function serviceEnableCommand(st: Pick<ServiceState, 'init' | 'name' | 'detail'>, enable: boolean): string {
  if (st.init === 'systemd') return `systemctl ${enable ? 'enable' : 'disable'} -- ${shq(st.name)}`;
  const n = shq(sysvName(st.name));
  if (st.detail === 'chkconfig') return enable ? `{ chkconfig --add ${n} 2>/dev/null; chkconfig ${n} on; }` : `chkconfig ${n} off`;
  // links must exist before `enable` can flip them (a fresh script has none)
  return enable ? `{ update-rc.d ${n} defaults >/dev/null 2>&1; update-rc.d ${n} enable; }` : `update-rc.d ${n} disable`;
}
