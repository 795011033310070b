/**
 * TTY output for many hosts: one line per task that counts as results arrive (ok / changed / failed / unreachable /
 * skipped / remaining, elapsed, the slowest host still running), redrawn in place at most 10 times a second and
 * truncated to the terminal width (never wrapped). When the task ends the line stays as its final count, and the
 * failures (changes with -v, diffs with --diff) follow in full, exactly as the plain renderer prints them. Banners,
 * warnings and the PLAY RECAP are the plain renderer's; a one-line summary follows the recap.
 */
import type { EventSink, HostStats, RunEvent } from '../engine/events.js';
import { PlainRenderer, COLOR, type Colors } from './plain.js';
import { ListrRenderer } from './listr.js';
import { mask } from './mask.js';

export const COMPACT_THRESHOLD = 20;
const REDRAW_MS = 100;

export interface CompactOptions {
  write?: (s: string) => void;
  columns?: () => number;
  colors?: Colors;
  now?: () => number;
}

interface TaskLine {
  title: string;
  start: number;
  running: Set<string>;
  counts: { ok: number; changed: number; failed: number; unreachable: number; skipped: number };
  details: string[];
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

/** cut a line (that may hold color codes) to `width` visible characters */
export function truncate(s: string, width: number): string {
  if (stripAnsi(s).length <= width) return s;
  let out = '';
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const m = /^\x1b\[[0-9;]*m/.exec(s.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length - 1;
      continue;
    }
    if (n >= width) break;
    out += s[i];
    n++;
  }
  return s.includes('\x1b[') ? out + '\x1b[0m' : out;
}

export class CompactRenderer implements EventSink {
  private readonly plain: PlainRenderer;
  private readonly write: (s: string) => void;
  private readonly columns: () => number;
  private readonly now: () => number;
  private held: string[] = [];
  private task?: TaskLine;
  private timer?: NodeJS.Timeout;
  private dirty = false;
  private lastDraw = 0;
  /** redraws of the live line (for the figures) */
  redraws = 0;

  constructor(
    readonly verbosity: number,
    readonly diff: boolean,
    opts: CompactOptions = {},
  ) {
    this.write = opts.write ?? ((s) => process.stdout.write(s));
    this.columns = opts.columns ?? (() => process.stdout.columns || 80);
    this.now = opts.now ?? Date.now;
    this.plain = new PlainRenderer(verbosity, diff, (l) => this.held.push(l), opts.colors ?? COLOR);
  }

  emit(e: RunEvent): void {
    if (e.type === 'task_start') {
      this.finishTask();
      this.plainEmit(e);
      this.task = {
        title: `${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.name}]`,
        start: this.now(),
        running: new Set(e.hosts),
        counts: { ok: 0, changed: 0, failed: 0, unreachable: 0, skipped: 0 },
        details: [],
      };
      this.draw();
      this.timer = setInterval(() => this.dirty && this.draw(), REDRAW_MS);
      this.timer.unref();
      return;
    }
    if (e.type === 'host_result' && this.task) {
      const t = this.task;
      const before = this.held.length;
      this.plain.emit(e);
      const lines = this.held.splice(before);
      const all = e.status === 'failed' || e.status === 'unreachable' || (e.status === 'changed' && this.verbosity > 0);
      // otherwise only what is not a bare status line (diffs)
      t.details.push(...(all ? lines : lines.filter((l) => !/^(ok|changed|skipping): \[/.test(stripAnsi(l)))));
      if (e.item === undefined || e.loopEnd) {
        if (t.running.delete(e.host)) t.counts[e.status]++;
      }
      this.schedule();
      return;
    }
    if (e.type === 'retry' && this.task) {
      const before = this.held.length;
      this.plain.emit(e);
      this.task.details.push(...this.held.splice(before));
      return;
    }
    if (e.type === 'recap' || e.type === 'play_start' || e.type === 'no_hosts_remaining') this.finishTask();
    this.plainEmit(e);
    if (e.type === 'recap') this.out(summary(e.stats, e.durationMs));
  }

  private plainEmit(e: RunEvent): void {
    const before = this.held.length;
    this.plain.emit(e);
    // banners' stars are cut to the width; results and warnings are printed in full, as the plain format does
    for (const l of this.held.splice(before)) this.out(/ \*{3,}$/.test(l) ? truncate(l, Math.max(10, this.columns() - 1)) : l);
  }

  private out(line: string): void {
    this.write(mask(line) + '\n');
  }

  /** the live line: counts, elapsed, the slowest host still running */
  line(final = false): string {
    const t = this.task!;
    const c = t.counts;
    const secs = (this.now() - t.start) / 1000;
    const left = t.running.size;
    let s = `${t.title} ok=${c.ok} changed=${c.changed} failed=${c.failed} unreachable=${c.unreachable} skipped=${c.skipped} remaining=${left} ${secs.toFixed(1)}s`;
    // every host of a task starts together, so the slowest still running is the first one not yet done
    if (!final && left) s += ` slowest: ${[...t.running][0]} ${secs.toFixed(1)}s`;
    return mask(s);
  }

  private schedule(): void {
    this.dirty = true;
    if (this.now() - this.lastDraw >= REDRAW_MS) this.draw();
  }

  private draw(final = false): void {
    this.dirty = false;
    this.lastDraw = this.now();
    this.redraws++;
    const width = Math.max(10, this.columns() - 1);
    this.write('\r\x1b[2K' + truncate(this.line(final), width) + (final ? '\n' : ''));
  }

  private finishTask(): void {
    if (!this.task) return;
    clearInterval(this.timer);
    this.draw(true);
    for (const l of this.task.details) this.out(l);
    this.task = undefined;
  }

  async end(): Promise<void> {
    this.finishTask();
  }
}

/** one line after the recap: hosts by outcome */
export function summary(stats: Record<string, HostStats>, durationMs: number): string {
  const hs = Object.values(stats);
  const failed = hs.filter((s) => s.failed).length;
  const unreachable = hs.filter((s) => s.unreachable).length;
  const changed = hs.filter((s) => !s.failed && !s.unreachable && s.changed).length;
  return `${hs.length} hosts: ${hs.length - failed - unreachable - changed} ok, ${changed} changed, ${failed} failed, ${unreachable} unreachable in ${(durationMs / 1000).toFixed(1)}s`;
}

/**
 * The TTY renderer: waits for the first play to know its size, then shows per-host lists (listr2) for few hosts
 * and the compact lines for more than `threshold` (forced either way with mode).
 */
export class AutoRenderer implements EventSink {
  private inner?: EventSink;
  private queue: RunEvent[] = [];
  constructor(
    readonly verbosity: number,
    readonly diff: boolean,
    private readonly mode: 'auto' | 'compact' | 'per-host' = 'auto',
    private readonly threshold = COMPACT_THRESHOLD,
  ) {}
  emit(e: RunEvent): void {
    if (!this.inner && (e.type === 'play_start' || e.type === 'recap')) {
      const many = e.type === 'play_start' && e.hosts.length > this.threshold;
      this.inner =
        this.mode === 'compact' || (this.mode === 'auto' && many)
          ? new CompactRenderer(this.verbosity, this.diff)
          : new ListrRenderer(this.verbosity, this.diff);
      for (const q of this.queue.splice(0)) this.inner.emit(q);
    }
    if (this.inner) this.inner.emit(e);
    else this.queue.push(e);
  }
  async end(): Promise<void> {
    if (!this.inner) this.inner = new ListrRenderer(this.verbosity, this.diff);
    for (const q of this.queue.splice(0)) this.inner.emit(q);
    await this.inner.end();
  }
}
