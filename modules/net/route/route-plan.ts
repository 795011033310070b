/**
 * Static routes (the route module): the kernel's routes to one prefix (`ip route show exact PREFIX`), the
 * interface the gateway is reached through (`ip route get GW`), and the persistent forms:
 *
 *   redhat  /etc/sysconfig/network-scripts/route-IFACE: ADDRESSn=, NETMASKn=, GATEWAYn= (METRICn=) entries
 *           (or the `PREFIX via GW dev IFACE` line form, kept when the file already uses it); IPv6 in
 *           route6-IFACE, line form. Read by network-scripts (EL7/8) and NetworkManager's ifcfg-rh plugin.
 *   debian  /etc/network/if-up.d/tsplay-routes-IFACE: a hook ifupdown runs after bringing up any interface;
 *           it adds the routes when IFACE matches. A stanza with `up ip route add` in interfaces.d is
 *           order-dependent: Debian's default `source interfaces.d/*` comes before the interface's own
 *           stanza, so the route would be added before the address exists and fail.
 *
 * All pure: facts in, file text and commands out.
 */
import { shq } from '../../../lib/shell/quote.js';
import { maskBits4, netmask4, parseAddress, type Prefix } from '../../../lib/net/prefix.js';
import { partHeader, splitParts } from '../../../lib/shell/parts.js';

export interface RouteEntry {
  dest: string;
  via?: string;
  dev?: string;
  metric?: number;
  proto?: string;
  /** the whole line */
  raw: string;
}

export type PersistLayout = 'redhat' | 'debian';

export interface RouteFacts {
  routes: RouteEntry[];
  /** `ip route get GATEWAY`: the interface, and a `via` when the gateway is not directly connected */
  getDev?: string;
  getVia?: string;
  getError?: string;
  layouts: PersistLayout[];
}

export interface RouteWant {
  dest: Prefix;
  gateway?: string;
  dev?: string;
  metric?: number;
  present: boolean;
}

/** Parts: `routes` (ip route show exact), `get` (the route to the gateway, when the device is needed), `layout` (key=value). */
export function routeFactScript(q: { dest: string; family: 4 | 6; gateway?: string; needDev: boolean }): string {
  const L = [partHeader('routes'), `ip -${q.family} route show exact ${shq(q.dest)} 2>&1`];
  if (q.gateway !== undefined && q.needDev) L.push(partHeader('get'), `ip route get ${shq(q.gateway)} 2>&1 | head -n1`);
  L.push(partHeader('layout'));
  L.push('[ -d /etc/sysconfig/network-scripts ] && echo layout=redhat');
  L.push('[ -d /etc/network/if-up.d ] && command -v ifup >/dev/null 2>&1 && echo layout=debian');
  L.push(':');
  return L.join('\n');
}

export function parseRouteLine(line: string): RouteEntry {
  const t = line.trim().split(/\s+/);
  const e: RouteEntry = { dest: t[0] ?? '', raw: line.trim() };
  for (let i = 1; i < t.length - 1; i++) {
    const k = t[i];
    const v = t[i + 1]!;
    if (k === 'via') e.via = v === 'inet6' || v === 'inet' ? t[++i + 1] : v;
    else if (k === 'dev') e.dev = v;
    else if (k === 'metric') e.metric = Number(v);
    else if (k === 'proto') e.proto = v;
    else continue;
    i++;
  }
  return e;
}

export function parseRouteFacts(stdout: string): RouteFacts {
  const f: RouteFacts = { routes: [], layouts: [] };
  const parts = splitParts(stdout);
  const lines = (name: string) => (parts.get(name) ?? '').split('\n').filter((l) => l.trim() !== '');
  for (const line of lines('routes')) if (!/^(Error|RTNETLINK)/.test(line)) f.routes.push(parseRouteLine(line));
  for (const line of lines('get')) {
    if (/^(Error|RTNETLINK)|unreachable|invalid/i.test(line)) f.getError = line.trim();
    else {
      const e = parseRouteLine(line);
      f.getDev = e.dev;
      f.getVia = e.via;
    }
  }
  // several layout= lines (a host may have both forms); keyValues keeps one per key
  for (const line of lines('layout')) if (line.startsWith('layout=')) f.layouts.push(line.slice(7) as PersistLayout);
  return f;
}

function sameAddr(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x && y ? x.value === y.value && x.family === y.family : a === b;
}

export function routeMatches(e: RouteEntry, w: RouteWant): boolean {
  return (
    sameAddr(e.via, w.gateway) &&
    (w.dev === undefined || e.dev === w.dev) &&
    (w.metric === undefined ? e.metric === undefined || e.metric === 0 : (e.metric ?? 0) === w.metric)
  );
}

/** `ip route` arguments for an entry or a wanted route */
export function routeSpec(dest: string, via?: string, dev?: string, metric?: number): string {
  return [shq(dest), via !== undefined ? `via ${shq(via)}` : '', dev !== undefined ? `dev ${shq(dev)}` : '', metric !== undefined ? `metric ${metric}` : '']
    .filter(Boolean)
    .join(' ');
}

/** The kernel commands: delete the routes to the prefix that differ, add the wanted one. */
export function planKernelRoute(w: RouteWant, f: RouteFacts, dest: string): string[] {
  const cmds: string[] = [];
  const ours = f.routes.filter((e) => e.proto !== 'kernel');
  if (w.present) {
    const hit = ours.some((e) => routeMatches(e, w));
    for (const e of ours) if (!routeMatches(e, w)) cmds.push(`ip route del ${routeSpec(dest, e.via, e.dev, e.metric)}`);
    if (!hit) cmds.push(`ip route replace ${routeSpec(dest, w.gateway, w.dev, w.metric)}`);
  } else {
    for (const e of ours) if (w.gateway === undefined || sameAddr(e.via, w.gateway)) cmds.push(`ip route del ${routeSpec(dest, e.via, e.dev, e.metric)}`);
  }
  return cmds;
}

// ---- redhat: route-IFACE ----

export function redhatRouteFile(iface: string, family: 4 | 6): string {
  return `/etc/sysconfig/network-scripts/${family === 6 ? 'route6' : 'route'}-${iface}`;
}

interface KvEntry {
  n: number;
  address?: string;
  netmask?: string;
  gateway?: string;
}

function kvEntries(lines: string[]): Map<number, KvEntry> {
  const m = new Map<number, KvEntry>();
  for (const l of lines) {
    const x = /^\s*(ADDRESS|NETMASK|GATEWAY|METRIC|OPTIONS)(\d+)\s*=\s*"?([^"]*)"?\s*$/.exec(l);
    if (!x) continue;
    const n = Number(x[2]);
    const e = m.get(n) ?? { n };
    if (x[1] === 'ADDRESS') e.address = x[3];
    if (x[1] === 'NETMASK') e.netmask = x[3];
    if (x[1] === 'GATEWAY') e.gateway = x[3];
    m.set(n, e);
  }
  return m;
}

function kvLines(n: number, w: RouteWant): string[] {
  const out = [`ADDRESS${n}=${w.dest.network}`, `NETMASK${n}=${netmask4(w.dest.bits)}`, `GATEWAY${n}=${w.gateway}`];
  if (w.metric !== undefined) out.push(`METRIC${n}=${w.metric}`);
  return out;
}

function isLineForm(l: string): boolean {
  const t = l.trim();
  return t !== '' && !t.startsWith('#') && !/^[A-Z_]+\d*\s*=/.test(t);
}

/**
 * The new text of route-IFACE (null: no change). An existing entry for the same prefix is replaced in place;
 * other entries and comments are kept.
 */
export function editRedhatRoutes(text: string | null, w: RouteWant, iface: string): string | null {
  const lines = text === null ? [] : text.replace(/\n$/, '').split('\n');
  if (text === '') lines.length = 0;
  const lineForm = w.dest.family === 6 || lines.some(isLineForm);
  const destText = `${w.dest.network}/${w.dest.bits}`;
  let out: string[];
  if (lineForm) {
    const want = `${destText} via ${w.gateway} dev ${iface}${w.metric !== undefined ? ` metric ${w.metric}` : ''}`;
    const isOurs = (l: string) => isLineForm(l) && sameDest(l.trim().split(/\s+/)[0]!, w.dest);
    out = lines.filter((l) => !isOurs(l) || (w.present && l.trim() === want));
    if (w.present && !out.some((l) => l.trim() === want)) out.push(want);
  } else {
    const entries = kvEntries(lines);
    const mine = [...entries.values()].filter(
      (e) => e.address !== undefined && e.netmask !== undefined && sameDest(`${e.address}/${maskBits4(e.netmask) ?? -1}`, w.dest),
    );
    const drop = new Set(mine.map((e) => e.n));
    const keepN = w.present ? mine[0]?.n : undefined;
    const first = mine[0];
    const same = first && mine.length === 1 && w.present && sameAddr(first.gateway, w.gateway) && metricOf(lines, first.n) === w.metric;
    if (same) return null;
    out = lines.filter((l) => {
      const x = /^\s*(ADDRESS|NETMASK|GATEWAY|METRIC|OPTIONS)(\d+)\s*=/.exec(l);
      return !x || !drop.has(Number(x[2]));
    });
    if (w.present) {
      const n = keepN ?? (entries.size ? Math.max(...entries.keys()) + 1 : 0);
      out.push(...kvLines(n, w));
    }
  }
  const next = out.length ? out.join('\n') + '\n' : '';
  return next === (text ?? '') || (text === null && !w.present) ? null : next;
}

function metricOf(lines: string[], n: number): number | undefined {
  for (const l of lines) {
    const x = new RegExp(`^\\s*METRIC${n}\\s*=\\s*"?(\\d+)"?\\s*$`).exec(l);
    if (x) return Number(x[1]);
  }
  return undefined;
}

function sameDest(text: string, p: Prefix): boolean {
  const m = /^([^/]+)(?:\/(\d+))?$/.exec(text);
  if (!m) return false;
  const a = parseAddress(m[1]!);
  if (!a || a.family !== p.family) return false;
  const bits = m[2] === undefined ? (a.family === 4 ? 32 : 128) : Number(m[2]);
  return bits === p.bits && a.value === p.first;
}

// ---- debian: ifupdown if-up.d hook ----

export function debianHookFile(iface: string): string {
  // run-parts only runs names made of [A-Za-z0-9_-]
  return `/etc/network/if-up.d/tsplay-routes-${iface.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

const HOOK_ROUTE = /^ip route replace (\S+) (.*?) \|\| echo /;

/** The hook's text for `iface` with `routes` (ip route arguments after the prefix), or '' for none. */
export function renderDebianHook(iface: string, routes: { dest: string; rest: string }[]): string {
  const L = [
    '#!/bin/sh',
    `# Static routes via ${iface}, managed by tsplay (route module). ifupdown runs this after bringing up an`,
    '# interface (ifup, boot); the routes are added when it is this one.',
    `[ "$IFACE" = ${shq(iface)} ] || exit 0`,
    ...routes.map((r) => `ip route replace ${r.dest} ${r.rest} || echo "tsplay route: could not add ${r.dest} ${r.rest}" >&2`),
    'exit 0',
  ];
  return L.join('\n') + '\n';
}

export function parseDebianHook(text: string): { dest: string; rest: string }[] {
  const out: { dest: string; rest: string }[] = [];
  for (const l of text.split('\n')) {
    const m = HOOK_ROUTE.exec(l);
    if (m) out.push({ dest: m[1]!, rest: m[2]! });
  }
  return out;
}

/** The new hook text (null: no change; '' means the file should go: no routes left). */
export function editDebianHook(text: string | null, w: RouteWant, iface: string): string | null {
  const routes = text === null ? [] : parseDebianHook(text);
  const destText = `${w.dest.network}/${w.dest.bits}`;
  const rest = routeSpec(destText, w.gateway, iface, w.metric).slice(destText.length + 1);
  const at = routes.findIndex((r) => sameDest(r.dest, w.dest));
  const others = routes.filter((r) => !sameDest(r.dest, w.dest));
  if (!w.present && others.length === routes.length) return null;
  let next = others;
  if (w.present) {
    next = [...others];
    // in place, so an unchanged route keeps its position (and the file stays byte-identical)
    next.splice(at < 0 ? next.length : at, 0, { dest: destText, rest });
  }
  const out = next.length ? renderDebianHook(iface, next) : '';
  return out === text ? null : out;
}
