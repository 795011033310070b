/**
 * The wait_for loop as one POSIX sh script run on the target. Local listening ports are read from
 * /proc/net/tcp{,6} (works with plain sh, no extra tools); remote ports and banners need a real connection,
 * made with bash's /dev/tcp or nc, whichever the host has; a banner is matched line by line with bash's =~ (ERE).
 */
import { shq } from '../../../lib/shell/quote.js';

export interface WaitArgs {
  host: string;
  port?: number;
  path?: string;
  state: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  search_regex?: string;
  timeout: number;
  delay: number;
  sleep: number;
  connect_timeout: number;
  exclude_hosts?: string[];
  active_connection_states: string[];
}

/** exit status of the script when the host cannot do what is asked (no bash/nc) */
export const WAIT_UNSUPPORTED = 97;
export const WAIT_TIMEOUT = 124;

const LOCAL = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::', '']);

const TCP_STATES: Record<string, string> = {
  ESTABLISHED: '01',
  SYN_SENT: '02',
  SYN_RECV: '03',
  FIN_WAIT1: '04',
  FIN_WAIT2: '05',
  TIME_WAIT: '06',
  CLOSE: '07',
  CLOSE_WAIT: '08',
  LAST_ACK: '09',
  LISTEN: '0A',
  CLOSING: '0B',
};

export function isLocalHost(h: string): boolean {
  return LOCAL.has(h.trim().toLowerCase());
}

export function hexPort(p: number): string {
  return p.toString(16).toUpperCase().padStart(4, '0');
}

/** IPv4 dotted quad → /proc/net/tcp's little-endian hex */
function hexV4(ip: string): string | null {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return null;
  return [m[4], m[3], m[2], m[1]].map((x) => Number(x).toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** A listener on loopback or the wildcard address, on this port (tcp or tcp6). */
export function listenTest(port: number): string {
  const addrs = ['0100007F', '00000000', '00000000000000000000000000000000', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000'];
  return `awk -v p=${hexPort(port)} 'BEGIN{f=1} $4=="0A" { n=split($2,a,":"); if (a[n]==p && a[1] ~ /^(${addrs.join('|')})$/) f=0 } END{exit f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null`;
}

/** No connection in an active state on this local port (except from excluded hosts). */
export function drainedTest(port: number, states: string[], exclude: string[]): string {
  const codes = states.map((s) => TCP_STATES[s.toUpperCase()]).filter(Boolean);
  const ex = exclude.map(hexV4).filter((x): x is string => x !== null);
  const exRe = ex.length ? ` && a2[1] !~ /^(${ex.join('|')})$/` : '';
  return `awk -v p=${hexPort(port)} 'BEGIN{f=0} $4 ~ /^(${codes.join('|') || 'XX'})$/ { n=split($2,a,":"); m=split($3,a2,":"); if (a[n]==p${exRe}) f=1 } END{exit f}' /proc/net/tcp /proc/net/tcp6 2>/dev/null`;
}

/** A TCP connection (optionally reading a banner that must match the regex). */
export function connectTest(host: string, port: number, connectTimeout: number, regex?: string): string {
  const h = shq(host);
  const t = Math.max(1, Math.ceil(connectTimeout));
  if (regex !== undefined) {
    return `{ if command -v bash >/dev/null 2>&1; then timeout ${t} bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1; while IFS= read -r -t "$2" l <&3 || [ -n "$l" ]; do [[ $l =~ $3 ]] && exit 0; l=; done; exit 1' ${h} ${port} ${t} ${shq(regex)} 2>/dev/null; else echo 'wait_for: search_regex on a port needs bash on the host' >&2; exit ${WAIT_UNSUPPORTED}; fi; }`;
  }
  return `{ if command -v bash >/dev/null 2>&1; then timeout ${t} bash -c 'exec 3<>"/dev/tcp/$0/$1"' ${h} ${port} 2>/dev/null; elif command -v nc >/dev/null 2>&1; then nc -z -w ${t} ${h} ${port} >/dev/null 2>&1; else echo 'wait_for: checking a remote port needs bash or nc on the host' >&2; exit ${WAIT_UNSUPPORTED}; fi; }`;
}

/** The condition that ends the wait (status 0 = done). null: just sleep for `timeout`. */
export function waitCondition(a: WaitArgs): string | null {
  const waitGone = a.state === 'absent' || a.state === 'stopped';
  if (a.path !== undefined) {
    const p = shq(a.path);
    if (waitGone) return `! [ -e ${p} ]`;
    return a.search_regex !== undefined ? `{ [ -r ${p} ] && grep -Eq -- ${shq(a.search_regex)} ${p} 2>/dev/null; }` : `[ -e ${p} ]`;
  }
  if (a.port !== undefined) {
    if (a.state === 'drained') return drainedTest(a.port, a.active_connection_states, a.exclude_hosts ?? []);
    const up = isLocalHost(a.host) && a.search_regex === undefined ? listenTest(a.port) : connectTest(a.host, a.port, a.connect_timeout, a.search_regex);
    return waitGone ? `! ${up}` : up;
  }
  return null;
}

export function waitScript(a: WaitArgs): string {
  const cond = waitCondition(a);
  // milliseconds (GNU date %N; whole seconds where it is missing), so a 1 s timeout is not cut short by the clock tick
  const lines = [
    `_ms() { _n=$(date +%s%N 2>/dev/null); case $_n in *[!0-9]*|'') echo $(( $(date +%s) * 1000 )) ;; *) echo $(( _n / 1000000 )) ;; esac; }`,
    `_end=$(( $(_ms) + ${Math.round(a.timeout * 1000)} ))`,
  ];
  if (a.delay > 0) lines.push(`sleep ${a.delay}`);
  if (cond === null) {
    lines.push(`sleep ${a.timeout}`, 'exit 0');
    return lines.join('\n');
  }
  lines.push(`while :; do
  if ${cond}; then exit 0; fi
  [ "$(_ms)" -ge "$_end" ] && exit ${WAIT_TIMEOUT}
  sleep ${a.sleep}
done`);
  return lines.join('\n');
}

export function timeoutMessage(a: WaitArgs): string {
  if (a.path !== undefined) {
    if (a.state === 'absent' || a.state === 'stopped') return `Timeout when waiting for ${a.path} to be absent.`;
    if (a.search_regex !== undefined) return `Timeout when waiting for search string ${a.search_regex} in ${a.path}`;
    return `Timeout when waiting for file ${a.path}`;
  }
  if (a.state === 'drained') return `Timeout when waiting for ${a.host}:${a.port} to drain`;
  if (a.state === 'absent' || a.state === 'stopped') return `Timeout when waiting for ${a.host}:${a.port} to stop.`;
  if (a.search_regex !== undefined) return `Timeout when waiting for search string ${a.search_regex} in ${a.host}:${a.port}`;
  return `Timeout when waiting for ${a.host}:${a.port}`;
}
