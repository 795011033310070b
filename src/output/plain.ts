/** Line output in ansible-playbook's default format (used when stdout is not a TTY, and as listr2's fallback). */
import type { HostStats, Renderer, RunEvent } from '../engine/events.js';
import type { ResultData } from '../module/define.js';
import { renderDiff } from './diff.js';
import { mask, maskDeep } from './mask.js';
import { banner, recapLines } from './recap.js';

const INTERNAL = new Set(['diff', 'ansible_facts', '_ansible_verbose_always', '_ansible_no_log', 'invocation', 'ansible_loop_var']);

export function resultJson(r: ResultData, indent?: number): string {
  const clean: Record<string, unknown> = {};
  for (const k of Object.keys(r).sort()) {
    if (INTERNAL.has(k) || r[k] === undefined) continue;
    clean[k] = r[k];
  }
  return mask(JSON.stringify(maskDeep(clean), null, indent));
}

export interface Colors {
  ok(s: string): string;
  changed(s: string): string;
  failed(s: string): string;
  skipped(s: string): string;
  warn(s: string): string;
}

const ansi = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
export const COLOR: Colors = { ok: ansi('32'), changed: ansi('33'), failed: ansi('31'), skipped: ansi('36'), warn: ansi('35') };
export const NOCOLOR: Colors = { ok: (s) => s, changed: (s) => s, failed: (s) => s, skipped: (s) => s, warn: (s) => s };

export class PlainRenderer implements Renderer {
  constructor(
    readonly verbosity: number,
    readonly diff: boolean,
    private readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
    private readonly c: Colors = NOCOLOR,
  ) {}

  emit(e: RunEvent): void {
    const o = (s: string) => this.out(mask(s));
    switch (e.type) {
      case 'playbook_start':
        if (this.verbosity > 0) o(`PLAYBOOK: ${e.file}${e.check ? ' (check mode)' : ''}`);
        break;
      case 'play_start':
        o('');
        o(banner(`PLAY [${e.name}]`));
        break;
      case 'no_hosts':
        o('skipping: no hosts matched');
        break;
      case 'task_start':
        o('');
        o(banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.name}]`));
        if (this.verbosity > 1 && e.path) o(`task path: ${e.path}`);
        break;
      case 'host_result':
        this.hostResult(e, o);
        break;
      case 'include':
        o(`included: ${e.file} for ${e.host}`);
        break;
      case 'warning':
        o(this.c.warn(`[WARNING]: ${e.message}`));
        break;
      case 'recap':
        this.recap(e.stats, o);
        break;
    }
  }

  private hostResult(e: Extract<RunEvent, { type: 'host_result' }>, o: (s: string) => void): void {
    const r = e.result;
    const who = e.delegatedTo && e.delegatedTo !== e.host ? `${e.host} -> ${e.delegatedTo}` : e.host;
    const item = e.item !== undefined ? ` => (item=${e.item})` : '';
    if (this.diff && !e.noLog && r.diff?.length && e.status !== 'skipped') {
      for (const d of r.diff) {
        const t = renderDiff(d);
        if (t) o(t.replace(/\n$/, ''));
      }
    }
    const verboseAlways = r['_ansible_verbose_always'] === true;
    const show = this.verbosity > 0 || verboseAlways;
    const shown = verboseAlways && r.changed === false && this.verbosity < 1 ? { ...r, changed: undefined } : r;
    const body = (indent?: number) => (e.noLog ? JSON.stringify({ censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result", changed: r.changed ?? false }) : resultJson(shown, indent));
    switch (e.status) {
      case 'ok':
      case 'changed': {
        const col = e.status === 'ok' ? this.c.ok : this.c.changed;
        const head = e.item !== undefined ? `${e.status}: [${who}] => (item=${e.item})` : `${e.status}: [${who}]`;
        o(col(show ? `${head} => ${body(4)}` : head));
        break;
      }
      case 'skipped':
        o(this.c.skipped(e.item !== undefined ? `skipping: [${who}] => (item=${e.item})` : `skipping: [${who}]`) + (this.verbosity > 0 && r.msg ? ` => ${body()}` : ''));
        break;
      case 'failed':
        if (e.item !== undefined) o(this.c.failed(`failed: [${who}]${item.replace(' => ', ' ')} => ${body()}`));
        else o(this.c.failed(`fatal: [${who}]: FAILED! => ${body()}`));
        if (e.ignored) o(this.c.skipped('...ignoring'));
        break;
      case 'unreachable':
        o(this.c.failed(`fatal: [${who}]: UNREACHABLE! => ${body()}`));
        if (e.ignored) o(this.c.skipped('...ignoring'));
        break;
    }
  }

  private recap(stats: Record<string, HostStats>, o: (s: string) => void): void {
    o('');
    o(banner('PLAY RECAP'));
    for (const line of recapLines(stats)) {
      const h = line.split(' ')[0]!;
      const s = stats[h]!;
      const col = s.failed || s.unreachable ? this.c.failed : s.changed ? this.c.changed : this.c.ok;
      o(col(line.slice(0, 26)) + line.slice(26));
    }
    o('');
  }

  async end(): Promise<void> {}
}

/** --json: one event per line (masked). */
export class JsonRenderer implements Renderer {
  readonly diff = true;
  constructor(readonly verbosity: number, private readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n')) {}
  emit(e: RunEvent): void {
    this.out(mask(JSON.stringify(maskDeep({ ...e, time: new Date().toISOString() }))));
  }
  async end(): Promise<void> {}
}
