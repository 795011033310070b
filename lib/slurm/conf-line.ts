/**
 * slurm.conf lines: `Key=Value Key=Value`, `#` comments (`\#` is a literal #), values with blanks in double
 * quotes, `Include FILE`. Keys are case-insensitive, node and partition names are not (src/common/parse_config.c).
 */
import { expand, HostlistError } from '../hostlist.js';

export type ConfValue = string | number | boolean | readonly (string | number)[];

/** One value as Slurm reads it: booleans YES/NO, lists comma-joined, quoted when it holds a blank or a #. */
export function renderValue(v: ConfValue): string {
  const s = typeof v === 'boolean' ? (v ? 'YES' : 'NO') : Array.isArray(v) ? v.join(',') : String(v);
  return /[\s#"]/.test(s) ? `"${s.replace(/"/g, '')}"` : s;
}

/** `Key=Value ...` from ordered pairs, skipping undefined values. */
export function renderLine(pairs: readonly (readonly [string, ConfValue | undefined])[]): string {
  return pairs
    .filter((p): p is readonly [string, ConfValue] => p[1] !== undefined)
    .map(([k, v]) => `${k}=${renderValue(v)}`)
    .join(' ');
}

export interface ConfLine {
  /** 1-based line number */
  line: number;
  /** Include FILE */
  include?: string;
  /** Key=Value pairs in order (keys as written) */
  pairs: [string, string][];
}

/** Strip a comment: `#` to the end of the line, unless written `\#`. */
function stripComment(l: string): string {
  let out = '';
  for (let i = 0; i < l.length; i++) {
    if (l[i] === '\\' && l[i + 1] === '#') {
      out += '#';
      i++;
    } else if (l[i] === '#') break;
    else out += l[i];
  }
  return out;
}

function splitPairs(s: string): [string, string][] {
  const out: [string, string][] = [];
  const re = /([^\s=]+)=("([^"]*)"|\S*)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push([m[1]!, m[3] ?? m[2]!]);
  return out;
}

export function parseConf(text: string): ConfLine[] {
  const out: ConfLine[] = [];
  // a line ending in \ continues on the next
  const raw = text.replace(/\\\n/g, ' ').split('\n');
  raw.forEach((l0, i) => {
    const l = stripComment(l0).trim();
    if (!l) return;
    const inc = /^include\s+(.+)$/i.exec(l);
    if (inc) out.push({ line: i + 1, include: inc[1]!.trim(), pairs: [] });
    else out.push({ line: i + 1, pairs: splitPairs(l) });
  });
  return out;
}

/** What a slurm.conf (or an included file) defines, for cross-checks. */
export interface ConfSummary {
  /** every node name of every NodeName line (DEFAULT excluded) → where */
  nodes: Map<string, string>;
  partitions: Map<string, string>;
  defaultPartitions: string[];
  /** global keys (lower case) → where */
  globals: Map<string, string>;
  includes: { path: string; line: number }[];
  /** NodeName lines whose hostlist did not parse */
  badHostlists: string[];
}

export function emptySummary(): ConfSummary {
  return { nodes: new Map(), partitions: new Map(), defaultPartitions: [], globals: new Map(), includes: [], badHostlists: [] };
}

/** Add what `text` (a file called `label`) defines to `into`. */
export function summarize(text: string, label: string, into: ConfSummary = emptySummary()): ConfSummary {
  for (const l of parseConf(text)) {
    const where = `${label}:${l.line}`;
    if (l.include !== undefined) {
      into.includes.push({ path: l.include, line: l.line });
      continue;
    }
    const first = l.pairs[0];
    if (!first) continue;
    const k = first[0].toLowerCase();
    if (k === 'nodename') {
      if (first[1].toUpperCase() === 'DEFAULT') continue;
      try {
        for (const n of expand(first[1])) into.nodes.set(n, where);
      } catch (e) {
        if (e instanceof HostlistError) into.badHostlists.push(`${where}: ${e.message}`);
        else throw e;
      }
    } else if (k === 'partitionname') {
      if (first[1].toUpperCase() === 'DEFAULT') continue;
      into.partitions.set(first[1], where);
      const def = l.pairs.find(([kk]) => kk.toLowerCase() === 'default');
      if (def && /^(yes|1|true)$/i.test(def[1])) into.defaultPartitions.push(first[1]);
    } else if (k === 'nodeset' || k === 'frontendname' || k === 'downnodes' || k === 'slurmctldhost' || k === 'controlmachine') {
      // multi-valued lines tsplay does not check
    } else {
      for (const [kk] of l.pairs) into.globals.set(kk.toLowerCase(), where);
    }
  }
  return into;
}

/**
 * The main slurm.conf for a staged copy in another directory: relative Include paths made absolute (they are
 * resolved against SLURM_CONF's directory), and the Include of `ours` pointed at `replacement` (or added).
 */
export function stageMainConf(text: string, mainDir: string, ours: string, replacement: string): string {
  let found = false;
  const lines = text
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => {
      const m = /^(\s*include\s+)(\S+)(.*)$/i.exec(l);
      if (!m) return l;
      const abs = m[2]!.startsWith('/') ? m[2]! : `${mainDir.replace(/\/+$/, '')}/${m[2]!}`;
      if (abs === ours) {
        found = true;
        return `${m[1]}${replacement}${m[3]}`;
      }
      return `${m[1]}${abs}${m[3]}`;
    });
  if (!found) lines.push(`Include ${replacement}`);
  return lines.join('\n').replace(/\n*$/, '\n');
}

/** The path an Include line names, absolute. */
export function includePath(p: string, mainDir: string): string {
  return p.startsWith('/') ? p : `${mainDir.replace(/\/+$/, '')}/${p}`;
}
