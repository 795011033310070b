/**
 * The power log: one JSON line per step, appended (O_APPEND: the launcher and every worker write to the same
 * file). Fields: t (ISO time), pid, op (resume|suspend|fail|status), run (one id per slurmctld call), node,
 * step (call, expand, map, power-state, az, ssh, playbook, scontrol, done...), outcome (ok|fail|skip|retry|
 * start), rc, ms (duration), plus step-specific fields (argv, nodes, error, reason...).
 */
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type Outcome = 'start' | 'ok' | 'fail' | 'skip' | 'retry' | 'info';

export interface LogRecord {
  t: string;
  pid: number;
  op: string;
  run: string;
  step: string;
  outcome: Outcome;
  node?: string;
  rc?: number;
  ms?: number;
  error?: string;
  [k: string]: unknown;
}

export class PowerLog {
  constructor(
    readonly path: string,
    readonly op: string,
    readonly run: string,
  ) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch {
      /* the directory is the playbook's job; a write below says what is wrong */
    }
  }

  write(rec: Omit<LogRecord, 't' | 'pid' | 'op' | 'run'> & { op?: string }): LogRecord {
    const full = { t: new Date().toISOString(), pid: process.pid, op: this.op, run: this.run, ...rec } as LogRecord;
    try {
      appendFileSync(this.path, JSON.stringify(full) + '\n');
    } catch (e) {
      process.stderr.write(`tsplay power: cannot write ${this.path}: ${(e as Error).message}\n${JSON.stringify(full)}\n`);
    }
    return full;
  }

  /** Time a step: one line when it ends (ok with ms, or fail with the error; rethrown). */
  async step<T>(step: string, node: string | undefined, fields: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      const r = await fn();
      this.write({ step, node, outcome: 'ok', ms: Date.now() - t0, ...fields });
      return r;
    } catch (e) {
      this.write({ step, node, outcome: 'fail', ms: Date.now() - t0, error: errorText(e), ...fields });
      throw e;
    }
  }
}

export function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').trim().slice(0, 500);
}

export function parseLog(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as LogRecord;
      if (r && typeof r.t === 'string' && typeof r.step === 'string') out.push(r);
    } catch {
      /* a torn line (crash mid-write): skipped */
    }
  }
  return out;
}

export function readLog(path: string): LogRecord[] {
  try {
    return parseLog(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** "--since": an ISO time, or a duration back from now (90s, 10m, 2h, 1d). */
export function parseSince(s: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(s.trim());
  if (m) return now - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`--since: '${s}' is neither a time nor a duration like 10m`);
  return t;
}

const SHOWN = new Set(['t', 'pid', 'op', 'run', 'step', 'outcome', 'node', 'rc', 'ms', 'error']);

/** One readable line: `2026-12-03 07:14:02.113 resume[ab12] cloud1 az ok rc=0 1.2s argv=...`. */
export function formatRecord(r: LogRecord): string {
  const when = r.t.replace('T', ' ').replace('Z', '');
  const parts = [when, `${r.op}[${r.run}]`, r.node ?? '-', r.step, r.outcome];
  if (r.rc !== undefined) parts.push(`rc=${r.rc}`);
  if (r.ms !== undefined) parts.push(`${(r.ms / 1000).toFixed(1)}s`);
  for (const [k, v] of Object.entries(r)) {
    if (SHOWN.has(k) || v === undefined) continue;
    parts.push(`${k}=${Array.isArray(v) ? v.join(' ') : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  if (r.error) parts.push(`error: ${r.error}`);
  return parts.join(' ');
}

export function filterLog(recs: readonly LogRecord[], o: { since?: number; node?: string }): LogRecord[] {
  return recs.filter(
    (r) =>
      (o.since === undefined || Date.parse(r.t) >= o.since) &&
      (o.node === undefined || r.node === o.node || (Array.isArray(r.nodes) && (r.nodes as unknown[]).includes(o.node))),
  );
}
