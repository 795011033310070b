/**
 * TTY output with listr2: each task is a list of its hosts, ticking as results arrive (spinner while a host
 * works, ✔ ok / changed, ↓ skipped, ✖ failed). Banners, diffs, debug messages and the recap are printed between
 * lists, in the same words as the plain renderer.
 */
import { Listr, PRESET_TIMER } from 'listr2';
import type { EventSink, RunEvent } from '../engine/events.js';
import { PlainRenderer, COLOR } from './plain.js';
import { mask } from './mask.js';

interface Pending {
  resolve: () => void;
  reject: (e: Error) => void;
  title: (t: string) => void;
  lastTitle?: string;
  settled: boolean;
  lines: string[];
  failed?: string;
}

export class ListrRenderer implements EventSink {
  private chain: Promise<void> = Promise.resolve();
  private pending = new Map<string, Pending>();
  private readonly plain: PlainRenderer;
  /** lines printed by the plain renderer while a list is showing are held until it ends */
  private held: string[] = [];

  constructor(
    readonly verbosity: number,
    readonly diff: boolean,
  ) {
    this.plain = new PlainRenderer(verbosity, diff, (l) => this.held.push(l), COLOR);
  }

  emit(e: RunEvent): void {
    if (e.type === 'task_start') {
      this.settleAll();
      this.startList(e.name, e.hosts, e.handler);
      return;
    }
    if (e.type === 'host_result') {
      const p = this.pending.get(e.host);
      const label = e.item !== undefined ? ` (item=${e.item})` : '';
      // details (diffs, verbose results, debug messages) are printed after the list, by the plain renderer
      const before = this.held.length;
      this.plain.emit(e);
      const detail = this.held.splice(before);
      const plainText = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '');
      const interesting = detail.filter((l) => !/^(ok|changed|skipping): \[[^\]]+\]( => \(item=.*\))?$/.test(plainText(l)));
      if (!p) {
        this.print(detail);
        return;
      }
      p.lines.push(...interesting);
      const status = e.status === 'skipped' ? 'skipping' : e.status === 'unreachable' ? 'UNREACHABLE' : e.status;
      if (e.status === 'failed' || e.status === 'unreachable') {
        p.failed = `${e.host}: ${status}${label}${e.ignored ? ' (ignored)' : ''}`;
      }
      p.lastTitle = `${status}: ${e.host}${label}`;
      p.title(p.lastTitle);
      if (e.item === undefined) this.settle(e.host);
      return;
    }
    if (e.type === 'recap' || e.type === 'play_start') this.settleAll();
    const before = this.held.length;
    this.plain.emit(e);
    this.print(this.held.splice(before));
  }

  private print(lines: string[]): void {
    if (!lines.length) return;
    this.chain = this.chain.then(() => {
      for (const l of lines) process.stdout.write(mask(l) + '\n');
    });
  }

  private startList(name: string, hosts: string[], handler: boolean): void {
    const entries = new Map<string, Pending>();
    const tasks = hosts.map((h) => ({
      title: h,
      task: (_ctx: unknown, t: { title: string }) =>
        new Promise<void>((resolve, reject) => {
          const p = entries.get(h)!;
          p.title = (s) => (t.title = mask(s));
          if (p.lastTitle) t.title = mask(p.lastTitle);
          p.resolve = resolve;
          p.reject = reject;
          if (p.settled) {
            if (p.failed) reject(new Error(p.failed));
            else resolve();
          }
        }),
    }));
    for (const h of hosts) {
      const p: Pending = { resolve: () => {}, reject: () => {}, title: () => {}, settled: false, lines: [] };
      entries.set(h, p);
      this.pending.set(h, p);
    }
    const list = new Listr(
      [{ title: mask(`${handler ? 'RUNNING HANDLER' : 'TASK'} [${name}]`), task: (_c, t) => t.newListr(tasks, { concurrent: true, exitOnError: false }) }],
      { exitOnError: false, rendererOptions: { collapseSubtasks: false, timer: PRESET_TIMER } } as never,
    );
    this.chain = this.chain.then(async () => {
      await list.run().catch(() => undefined);
      for (const p of entries.values()) for (const l of p.lines) process.stdout.write(mask(l) + '\n');
    });
  }

  private settle(host: string): void {
    const p = this.pending.get(host);
    if (!p || p.settled) return;
    p.settled = true;
    this.pending.delete(host);
    if (p.failed) p.reject(new Error(p.failed));
    else p.resolve();
  }

  private settleAll(): void {
    for (const h of [...this.pending.keys()]) this.settle(h);
  }

  async end(): Promise<void> {
    this.settleAll();
    await this.chain;
  }
}
