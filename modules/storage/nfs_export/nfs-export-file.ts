/**
 * exports(5) lines for a drop-in under /etc/exports.d: rendering from typed entries and the syntax check
 * tsplay runs itself (the option names exportfs knows, absolute paths, client forms). Pure functions.
 */
import { ArgsError } from '../../../src/contract/index.js';

export interface ExportClient {
  host: string;
  options: string[];
}
export interface ExportEntry {
  path: string;
  clients: ExportClient[];
}

/** exports(5) options without a value */
const FLAGS = new Set([
  'secure',
  'insecure',
  'rw',
  'ro',
  'async',
  'sync',
  'wdelay',
  'no_wdelay',
  'nohide',
  'hide',
  'crossmnt',
  'no_subtree_check',
  'subtree_check',
  'insecure_locks',
  'no_auth_nlm',
  'secure_locks',
  'auth_nlm',
  'mountpoint',
  'mp',
  'nordirplus',
  'pnfs',
  'no_pnfs',
  'security_label',
  'root_squash',
  'no_root_squash',
  'all_squash',
  'no_all_squash',
  'no_acl',
  'acl',
]);
/** options taking a value (mountpoint/mp take one optionally) */
const VALUED: Record<string, RegExp> = {
  fsid: /^(root|\d+|[0-9a-fA-F-]{32,36})$/,
  anonuid: /^-?\d+$/,
  anongid: /^-?\d+$/,
  sec: /^(sys|krb5|krb5i|krb5p|none)(:(sys|krb5|krb5i|krb5p|none))*$/,
  refer: /^\S+$/,
  replicas: /^\S+$/,
  mountpoint: /^\/\S*$/,
  mp: /^\/\S*$/,
  xprtsec: /^(none|tls|mtls)(:(none|tls|mtls))*$/,
};

export const HEADER = '# managed by tsplay (nfs_export): do not edit, rewritten on every run';

/** A client: `*`, a host name or wildcard, an IP network (a.b.c.d/n, v6/n), @netgroup, gss/krb5 */
const CLIENT = /^(\*|@[A-Za-z0-9_.-]+|[A-Za-z0-9*?._:\-[\]]+(\/[0-9.]+)?|gss\/krb5[ip]?)$/;

export function checkOption(o: string, where: string): void {
  const eq = o.indexOf('=');
  const name = eq < 0 ? o : o.slice(0, eq);
  const value = eq < 0 ? undefined : o.slice(eq + 1);
  if (value === undefined) {
    if (!FLAGS.has(name)) throw new ArgsError(`nfs_export: ${where}: unknown export option '${o}'${name in VALUED ? ' (it needs a value)' : ''}`);
    return;
  }
  const re = VALUED[name];
  if (!re) throw new ArgsError(`nfs_export: ${where}: unknown export option '${name}'${FLAGS.has(name) ? ' (it takes no value)' : ''}`);
  if (!re.test(value)) throw new ArgsError(`nfs_export: ${where}: bad value '${value}' for option ${name}`);
}

export function checkPath(p: string, where: string): void {
  if (!p.startsWith('/')) throw new ArgsError(`nfs_export: ${where}: path '${p}' is not absolute`);
  if (/[\s"\\]/.test(p) || /[\x00-\x1f]/.test(p)) throw new ArgsError(`nfs_export: ${where}: path '${p}' has blanks, quotes or control characters`);
  if (p.split('/').some((s) => s === '..' || s === '.')) throw new ArgsError(`nfs_export: ${where}: path '${p}' has '.' or '..' components`);
}

export function checkEntries(entries: ExportEntry[]): void {
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    const at = `entries[${i}]`;
    checkPath(e.path, at);
    const norm = e.path.length > 1 ? e.path.replace(/\/+$/, '') : e.path;
    if (seen.has(norm)) throw new ArgsError(`nfs_export: ${at}: path ${e.path} is listed twice`);
    seen.add(norm);
    if (e.clients.length === 0) throw new ArgsError(`nfs_export: ${at}: no clients`);
    e.clients.forEach((c, j) => {
      const cat = `${at}.clients[${j}]`;
      if (!CLIENT.test(c.host)) throw new ArgsError(`nfs_export: ${cat}: bad client '${c.host}'`);
      for (const o of c.options) checkOption(o, cat);
      if (c.options.includes('rw') && c.options.includes('ro')) throw new ArgsError(`nfs_export: ${cat}: both rw and ro`);
      if (c.options.includes('sync') && c.options.includes('async')) throw new ArgsError(`nfs_export: ${cat}: both sync and async`);
    });
  });
}

/** `/sched *(rw,sync,no_root_squash)` */
export function exportLine(e: ExportEntry): string {
  const p = e.path.length > 1 ? e.path.replace(/\/+$/, '') : e.path;
  return [p, ...e.clients.map((c) => `${c.host}(${c.options.join(',')})`)].join(' ');
}

export function renderExports(name: string, entries: ExportEntry[]): string {
  return `${HEADER.replace('(nfs_export)', `(nfs_export ${name})`)}\n${entries.map(exportLine).join('\n')}\n`;
}

/**
 * Parse exports text the way exportfs reads it (comments, `\` continuations, quoted paths, `host(opts)`
 * with no blank before the parenthesis) and check it: the check made when exportfs cannot run (no nfsd).
 */
export function parseExports(text: string): ExportEntry[] {
  const joined = text.replace(/\\\n/g, ' ');
  const out: ExportEntry[] = [];
  joined.split('\n').forEach((raw, n) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const m = /^("[^"]*"|\S+)\s*(.*)$/.exec(line)!;
    const path = m[1]!.replace(/^"|"$/g, '');
    const clients: ExportClient[] = [];
    for (const tok of m[2]!.split(/\s+/).filter(Boolean)) {
      const c = /^([^()\s]*)(?:\(([^()]*)\))?$/.exec(tok);
      if (!c) throw new ArgsError(`nfs_export: line ${n + 1}: cannot parse '${tok}'`);
      clients.push({ host: c[1] || '*', options: c[2] ? c[2].split(',') : [] });
    }
    out.push({ path, clients });
  });
  checkEntries(out);
  return out;
}
