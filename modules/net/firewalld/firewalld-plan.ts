/**
 * firewalld, planned from facts: one read command (is the daemon running, is the item already in the
 * runtime / permanent configuration, asked with --query-*), then the --add-* / --remove-* commands.
 *
 * With the daemon running: `firewall-cmd` (runtime) and `firewall-cmd --permanent`. Without it (installed but
 * stopped, as in the lab, or during image builds): `firewall-offline-cmd`, which edits the permanent
 * configuration the daemon loads when it starts; a runtime change is then impossible and skipped with a
 * warning when a permanent one was asked for too, refused otherwise.
 */
import { shq } from '../../../lib/shell/quote.js';

export type FwKind = 'service' | 'port' | 'source' | 'interface';

export interface FwItem {
  kind: FwKind;
  value: string;
}

export interface FwWanted {
  item: FwItem;
  zone?: string;
  enabled: boolean;
  permanent: boolean;
  runtime: boolean;
}

/** `yes`/`no`, or the error text of a query that failed (unknown zone or service...). */
export type FwQuery = { has: boolean } | { error: string; rc: number };

export interface FwFacts {
  installed: boolean;
  /** firewall-offline-cmd exists */
  offline: boolean;
  running: boolean;
  runtime?: FwQuery;
  permanent?: FwQuery;
}

export interface FwPlan {
  commands: string[];
  warnings: string[];
  /** e.g. "enable service ipsec in zone public (permanent, offline)" */
  summary: string;
}

function zoneOpt(zone?: string): string {
  return zone ? ` --zone=${shq(zone)}` : '';
}

function itemOpt(verb: 'query' | 'add' | 'remove', item: FwItem): string {
  return `--${verb}-${item.kind}=${shq(item.value)}`;
}

/** The read-only fact command. */
export function fwFactScript(item: FwItem, zone?: string): string {
  const q = `${zoneOpt(zone)} ${itemOpt('query', item)}`;
  const rec = (tag: string, cmd: string) => `_o=$(${cmd} 2>&1); printf '${tag}=%s\\t%s\\n' "$?" "$(printf '%s' "$_o" | tr '\\n\\t' '  ')"`;
  return `if command -v firewall-cmd >/dev/null 2>&1; then echo installed=yes; else echo installed=no; fi
if command -v firewall-offline-cmd >/dev/null 2>&1; then echo offline=yes; else echo offline=no; fi
if command -v firewall-cmd >/dev/null 2>&1 && [ "$(firewall-cmd --state 2>/dev/null)" = running ]; then
  echo running=yes
  ${rec('runtime', `firewall-cmd${q}`)}
  ${rec('permanent', `firewall-cmd --permanent${q}`)}
elif command -v firewall-offline-cmd >/dev/null 2>&1; then
  echo running=no
  ${rec('permanent', `firewall-offline-cmd${q}`)}
else
  echo running=no
fi`;
}

function parseQuery(v: string): FwQuery {
  const tab = v.indexOf('\t');
  const rc = Number(tab < 0 ? v : v.slice(0, tab));
  const text = (tab < 0 ? '' : v.slice(tab + 1)).trim();
  if (rc === 0) return { has: true };
  if (rc === 1 && (text === '' || text === 'no')) return { has: false };
  return { error: text || `rc=${rc}`, rc };
}

export function parseFwFacts(stdout: string): FwFacts {
  const f: FwFacts = { installed: false, offline: false, running: false };
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'installed') f.installed = v === 'yes';
    else if (k === 'offline') f.offline = v === 'yes';
    else if (k === 'running') f.running = v === 'yes';
    else if (k === 'runtime' || k === 'permanent') f[k] = parseQuery(v);
  }
  return f;
}

function has(q: FwQuery | undefined, where: string, w: FwWanted): boolean {
  if (!q) throw new Error(`firewalld: no ${where} answer`);
  if ('error' in q) throw new Error(`firewall ${where} query for ${w.item.kind} ${w.item.value}${w.zone ? ` in zone ${w.zone}` : ''} failed: ${q.error}`);
  return q.has;
}

/**
 * The commands that bring the item to the wanted state; `commands: []` when it already is. Throws Error with
 * a message for impossible requests (the module turns it into a ModuleError).
 */
export function planFirewalld(w: FwWanted, f: FwFacts): FwPlan {
  const verb = w.enabled ? 'add' : 'remove';
  const arg = `${zoneOpt(w.zone)} ${itemOpt(verb, w.item)}`;
  const commands: string[] = [];
  const warnings: string[] = [];
  const parts: string[] = [];
  if (!f.installed && !f.offline) throw new Error('firewalld is not installed (no firewall-cmd or firewall-offline-cmd on this host)');
  if (f.running) {
    if (w.runtime && has(f.runtime, 'runtime', w) !== w.enabled) {
      commands.push(`firewall-cmd${arg}`);
      parts.push('runtime');
    }
    if (w.permanent && has(f.permanent, 'permanent', w) !== w.enabled) {
      commands.push(`firewall-cmd --permanent${arg}`);
      parts.push('permanent');
    }
  } else {
    if (!w.permanent) {
      throw new Error(
        'firewalld is not running: a runtime-only change (permanent: false) needs the daemon; start firewalld, or set permanent: true (written with firewall-offline-cmd, applied when firewalld starts)',
      );
    }
    if (!f.offline) throw new Error('firewalld is not running and firewall-offline-cmd is missing: start firewalld first');
    if (has(f.permanent, 'permanent', w) !== w.enabled) {
      commands.push(`firewall-offline-cmd${arg}`);
      parts.push('permanent, offline');
    }
    if (w.runtime && commands.length)
      warnings.push('firewalld is not running: only the permanent configuration was changed (firewall-offline-cmd); it applies when firewalld starts');
  }
  const summary = commands.length
    ? `${w.enabled ? 'enable' : 'disable'} ${w.item.kind} ${w.item.value}${w.zone ? ` in zone ${w.zone}` : ''} (${parts.join(', ')})`
    : '';
  return { commands, warnings, summary };
}
