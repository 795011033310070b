/**
 * Line output in ansible-playbook's default format (used when stdout is not a TTY, and by the listr2 renderer
 * for everything but the live task lists). Results are shown as Ansible's default callback shows them: internal
 * keys, `failed`/`skipped` dropped, Python-style JSON with sorted keys, debug results reduced to their message.
 */
import { basename } from 'node:path';
import type { HostStats, EventSink, RunEvent } from '../engine/events.js';
import type { ResultData } from '../contract/define.js';
import { pyJson } from '../engine/templating/filters-string.js';
import { renderDiff, toFileDiffs } from './diff.js';
import { mask, maskDeep } from './mask.js';
import { banner, recapLines } from './recap.js';

const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
const DEBUG_ALLOWED = new Set(['msg', 'exception', 'warnings', 'deprecations']);
const HIDE_IN_DEBUG = new Set(['changed', 'failed', 'skipped', 'invocation', 'skip_reason']);

/** The result as Ansible's callback displays it (TaskResult.clean_copy + _clean_results + _dump_results). */
export function displayResult(r: ResultData, opts: { noLog?: boolean; verbosity?: number } = {}): Record<string, unknown> {
  if (opts.noLog) {
    const x: Record<string, unknown> = { censored: CENSORED };
    for (const k of ['attempts', 'changed', 'retries']) if (r[k] !== undefined) x[k] = r[k];
    return x;
  }
  const verbosity = opts.verbosity ?? 0;
  // Ansible's callback trims the result of the debug action only (_clean_results), not of others that are always verbose
  const debugLike = r['_tsplay_debug'] === true;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === undefined || k.startsWith('_ansible_') || k.startsWith('_tsplay_') || k === 'failed' || k === 'skipped' || k === 'exception') continue;
    if ((k === 'diff' || k === 'invocation') && verbosity < 3) continue;
    if (debugLike && ('msg' in r ? !DEBUG_ALLOWED.has(k) : HIDE_IN_DEBUG.has(k))) continue;
    out[k] = v;
  }
  return out;
}

/** json.dumps(result, sort_keys=True, ensure_ascii=False[, indent]) of the displayed result, masked. */
export function resultJson(r: ResultData, opts: { noLog?: boolean; verbosity?: number; indent?: number } = {}): string {
  return mask(pyJson(maskDeep(displayResult(r, opts)), { indent: opts.indent, sortKeys: true, ensureAscii: false }));
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

type HostResult = Extract<RunEvent, { type: 'host_result' }>;

export class PlainRenderer implements EventSink {
  constructor(
    readonly verbosity: number,
    readonly diff: boolean,
    private readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
    private readonly c: Colors = NOCOLOR,
    /** Where warnings go: Ansible writes them to stderr, wrapped to the terminal (79 columns when not one). */
    private readonly err?: (line: string) => void,
  ) {}

  private readonly warned = new Set<string>();

  emit(e: RunEvent): void {
    const o = (s: string) => this.out(mask(s));
    switch (e.type) {
      case 'playbook_start':
        // as ansible-playbook -vv: the banner, then how many plays the playbook has
        if (this.verbosity > 1) {
          o('');
          o(banner(`PLAYBOOK: ${basename(e.file)}`));
          if (e.plays !== undefined) o(`${e.plays} plays in ${e.path ?? e.file}`);
        } else if (this.verbosity > 0) o(`PLAYBOOK: ${e.file}${e.check ? ' (check mode)' : ''}`);
        break;
      case 'play_start':
        o('');
        o(banner(e.name ? `PLAY [${e.name}]` : 'PLAY'));
        break;
      case 'no_hosts':
        o(this.c.skipped('skipping: no hosts matched'));
        break;
      case 'no_hosts_remaining':
        o('');
        o(banner('NO MORE HOSTS LEFT'));
        break;
      case 'task_start':
        o('');
        o(banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.name}]${e.origin ? ` (${e.origin})` : ''}`));
        if (this.verbosity > 1 && e.path) o(`task path: ${e.path}`);
        break;
      case 'host_result':
        this.hostResult(e, o);
        break;
      case 'retry': {
        let line = `FAILED - RETRYING: [${e.host}]: ${e.task} (${e.retriesLeft} retries left).`;
        if (this.verbosity > 2) line += `Result was: ${resultJson(e.result, { noLog: e.noLog, verbosity: this.verbosity, indent: 4 })}`;
        o(this.c.failed(line));
        break;
      }
      case 'include':
        o(this.c.skipped(`included: ${e.file} for ${e.hosts.join(', ')}${e.item !== undefined ? ` => (item=${e.item})` : ''}`));
        break;
      case 'warning': {
        // Ansible shows each warning text once per run (Display._warns)
        if (this.warned.has(e.message)) break;
        this.warned.add(e.message);
        const text = `[WARNING]: ${e.message}`;
        if (this.err) this.err(mask(this.c.warn(wrapText(text, warnColumns()).join('\n'))));
        else o(this.c.warn(text));
        break;
      }
      case 'meta':
        if (this.verbosity > 1) o(`META: ${e.msg}`);
        break;
      case 'error': {
        const text = `ERROR! ${e.message}`;
        if (this.err) this.err(mask(this.c.failed(text)));
        else o(this.c.failed(text));
        break;
      }
      case 'recap':
        this.recap(e.stats, o);
        break;
    }
  }

  private hostResult(e: HostResult, o: (s: string) => void): void {
    const r = e.result;
    const who = e.delegatedTo ? `${e.host} -> ${e.delegatedTo}${e.delegatedAddr ? `(${e.delegatedAddr})` : ''}` : e.host;
    // a censored result loses debug's "always verbose" flag, as in Ansible
    const verboseAlways = r['_ansible_verbose_always'] === true && !e.noLog;
    const verbose = this.verbosity > 0 || verboseAlways;
    const json = (forceIndent = false) =>
      resultJson(r, { noLog: e.noLog, verbosity: this.verbosity, indent: forceIndent || verboseAlways || this.verbosity > 2 ? 4 : undefined });
    const diffs = toFileDiffs(r.diff);
    if ((e.diff ?? this.diff) && !e.noLog && diffs && r.changed && e.status !== 'skipped') {
      for (const d of diffs) {
        const t = renderDiff(d);
        if (t) o(t.replace(/\n$/, ''));
      }
    }
    if (e.loopEnd) {
      // a censored loop result has no item list: Ansible shows it as a plain task result
      if (e.noLog && (e.status === 'ok' || e.status === 'changed')) o((e.status === 'ok' ? this.c.ok : this.c.changed)(`${e.status}: [${who}]`));
      if (e.noLog && e.status === 'failed') o(this.c.failed(`fatal: [${who}]: FAILED! => ${json()}`));
      if (e.status === 'skipped') o(this.c.skipped(`skipping: [${who}]`) + (verbose ? ` => ${json()}` : ''));
      if (e.status === 'failed' && e.ignored) o(this.c.skipped('...ignoring'));
      return;
    }
    const item = e.item;
    switch (e.status) {
      case 'ok':
      case 'changed': {
        const col = e.status === 'ok' ? this.c.ok : this.c.changed;
        const head = item !== undefined ? `${e.status}: [${who}] => (item=${item})` : `${e.status}: [${who}]`;
        o(col(verbose ? `${head} => ${json()}` : head));
        break;
      }
      case 'skipped':
        if (item !== undefined) o(this.c.skipped(`skipping: [${who}] => (item=${item}) `) + (verbose ? ` => ${json()}` : ''));
        else o(this.c.skipped(`skipping: [${who}]`) + (verbose ? ` => ${json()}` : ''));
        break;
      case 'failed':
        if (item !== undefined) o(this.c.failed(`failed: [${who}] (item=${item}) => ${json()}`));
        else o(this.c.failed(`fatal: [${who}]: FAILED! => ${json()}`));
        if (e.ignored) o(this.c.skipped('...ignoring'));
        break;
      case 'unreachable':
        o(this.c.failed(`fatal: [${who}]: UNREACHABLE! => ${json()}`));
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
export class JsonRenderer implements EventSink {
  readonly diff = true;
  constructor(
    readonly verbosity: number,
    private readonly out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {}
  emit(e: RunEvent): void {
    // no_log results are censored here too
    const ev = (e.type === 'host_result' || e.type === 'retry') && e.noLog ? { ...e, result: displayResult(e.result, { noLog: true }) } : e;
    this.out(mask(JSON.stringify(maskDeep({ ...ev, time: new Date().toISOString() }))));
  }
  async end(): Promise<void> {}
}

/** Display's width: the terminal's columns - 1, at least 79 (Ansible's Display._set_column_width). */
function warnColumns(): number {
  const tty = process.stdout.isTTY ? (process.stdout.columns ?? 0) : 0;
  return Math.max(79, tty - 1);
}

/** textwrap.wrap(text, width) for the common case: words split on whitespace, a word longer than the width broken. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (let word of text.split(/\s+/).filter(Boolean)) {
    while (word.length > width) {
      const room = cur ? width - cur.length - 1 : width;
      if (room <= 0) {
        lines.push(cur);
        cur = '';
        continue;
      }
      lines.push(cur ? `${cur} ${word.slice(0, room)}` : word.slice(0, room));
      cur = '';
      word = word.slice(room);
    }
    if (!cur) cur = word;
    else if (cur.length + 1 + word.length <= width) cur += ` ${word}`;
    else {
      lines.push(cur);
      cur = word;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}
