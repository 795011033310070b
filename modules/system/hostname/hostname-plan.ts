/** hostname decisions (pure, unit-tested): /etc/hostname, the running name and the /etc/hosts line. */

export interface HostnameFacts {
  running: string;
  systemd: boolean;
  /** null: missing */
  etcHostname: string | null;
  etcHosts: string | null;
}

export interface HostnamePlan {
  /** new /etc/hostname content */
  hostnameFile?: string;
  /** set the running name */
  setRunning: boolean;
  /** use hostnamectl (systemd as PID 1): it writes /etc/hostname and the running name at once */
  hostnamectl: boolean;
  /** new /etc/hosts content */
  hostsFile?: string;
}

export const LOOPBACK_HOST_IP = '127.0.1.1';

/** The name as /etc/hostname holds it: the first line that is not a comment. */
export function fileHostname(text: string | null): string | null {
  if (text === null) return null;
  for (const raw of text.split('\n')) {
    const t = raw.replace(/#.*/, '').trim();
    if (t) return t;
  }
  return '';
}

function fields(line: string): string[] {
  return line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean);
}

const isLoopback = (ip: string): boolean => ip.startsWith('127.') || ip === '::1';

/**
 * /etc/hosts must resolve the name (else sudo warns "unable to resolve host"). Like Debian: when a line with
 * the host's real address already lists the short name or the FQDN, the names go there (FQDN first, as the
 * canonical name; the line's other names are kept), so the host never resolves itself to a loopback address
 * (which trips up cluster daemons). Otherwise a `127.0.1.1 FQDN SHORT` line: an existing one is replaced
 * unless it already starts with those names; without one, it is added after the last 127.0.0.1 line, unless
 * another line already lists the name. Every other line is kept as it is. Returns null when nothing changes.
 */
export function editHosts(text: string | null, name: string): string | null {
  const short = name.split('.')[0]!;
  const want = name.includes('.') && short ? [name, short] : [name];
  const src = text ?? '';
  const lines = src === '' ? [] : src.replace(/\n$/, '').split('\n');
  const real = lines.findIndex((l) => {
    const f = fields(l);
    return f.length > 1 && !isLoopback(f[0]!) && f.slice(1).some((n) => want.includes(n));
  });
  if (real >= 0) {
    const line = lines[real]!;
    const [ip, ...names] = fields(line);
    let changed = false;
    if (!want.every((n, i) => names[i] === n)) {
      const hash = line.indexOf('#');
      const comment = hash >= 0 ? ' ' + line.slice(hash) : '';
      lines[real] = `${ip}\t${[...want, ...names.filter((n) => !want.includes(n))].join(' ')}${comment}`;
      changed = true;
    }
    // our names must not also sit on a 127.0.1.1 line (it would be found first for some lookups)
    for (let i = lines.length - 1; i >= 0; i--) {
      const f = fields(lines[i]!);
      if (f[0] !== LOOPBACK_HOST_IP || !f.slice(1).some((n) => want.includes(n))) continue;
      const rest = f.slice(1).filter((n) => !want.includes(n));
      if (rest.length) lines[i] = `${LOOPBACK_HOST_IP}\t${rest.join(' ')}`;
      else lines.splice(i, 1);
      changed = true;
    }
    return changed ? lines.join('\n') + '\n' : null;
  }
  const managed = lines.findIndex((l) => fields(l)[0] === LOOPBACK_HOST_IP);
  const wanted = `${LOOPBACK_HOST_IP}\t${want.join(' ')}`;
  if (managed >= 0) {
    const names = fields(lines[managed]!).slice(1);
    if (want.every((n, i) => names[i] === n)) return null;
    lines[managed] = wanted;
    return lines.join('\n') + '\n';
  }
  if (lines.some((l) => fields(l).slice(1).includes(name))) return null;
  let after = -1;
  lines.forEach((l, i) => {
    if (fields(l)[0] === '127.0.0.1') after = i;
  });
  lines.splice(after + 1, 0, wanted);
  return lines.join('\n') + '\n';
}

export function planHostname(name: string, f: HostnameFacts, opts: { updateHosts: boolean; forceSystemd?: boolean }): HostnamePlan | null {
  const useCtl = f.systemd || opts.forceSystemd === true;
  const fileOk = fileHostname(f.etcHostname) === name;
  const plan: HostnamePlan = { setRunning: f.running !== name, hostnamectl: false };
  if (!fileOk) plan.hostnameFile = `${name}\n`;
  if (useCtl && (plan.setRunning || !fileOk)) {
    plan.hostnamectl = true;
    plan.setRunning = false;
    delete plan.hostnameFile;
  }
  if (opts.updateHosts) {
    const hosts = editHosts(f.etcHosts, name);
    if (hosts !== null) plan.hostsFile = hosts;
  }
  const nothing = !plan.hostnamectl && !plan.setRunning && plan.hostnameFile === undefined && plan.hostsFile === undefined;
  return nothing ? null : plan;
}
