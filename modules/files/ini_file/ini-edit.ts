/**
 * ini_file's editing, as community.general's ini_file (do_ini): the same section search (a fake first
 * section for options outside any), the same option matching (commented `#opt`/`;opt` lines count for
 * present), the same insertion point (after the section's last non-blank, non-comment line) and messages.
 */
import { readLines } from '../../../lib/files/lines.js';

export interface IniArgs {
  section?: string;
  option?: string;
  values: string[];
  state: 'present' | 'absent';
  exclusive: boolean;
  no_extra_spaces: boolean;
  allow_no_value: boolean;
}

export interface IniOutcome {
  content: Buffer;
  changed: boolean;
  msg: string;
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/** re.match('[#;]?( |\t)*(opt)( |\t)*(=|$)( |\t)*(.*)') on a line; group 6 (the value) or undefined */
function matchOpt(option: string, line: string, active = false): string | undefined {
  const body = line.replace(/\n$/, '');
  const m = new RegExp(`^${active ? '' : '[#;]?'}[ \\t]*(${reEscape(option)})[ \\t]*(=|$)[ \\t]*(.*)`).exec(body);
  if (!m) return undefined;
  // (.*) stops at a newline inside the line (none: lines are split after \n)
  return m[3] ?? '';
}

const FAKE = 'ad01e11446efb704fcdbdb21f2c43757423d91c5';
const BLANK_OR_COMMENT = /^[ \t]*([#;].*)?$/;

export function iniEdit(original: Buffer | null, a: IniArgs): IniOutcome {
  let text = original ? original.toString('utf8') : '';
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const lines = readLines(text);
  const values: string[] = [];
  for (const v of a.values) if (!values.includes(v)) values.push(v);
  const option = a.option;
  let changed = false;
  if (!lines.length) lines.push('\n');
  if (lines[lines.length - 1] === '' || !lines[lines.length - 1]!.endsWith('\n')) {
    lines[lines.length - 1] += '\n';
    changed = true;
  }
  lines.unshift(`[${FAKE}]`);
  lines.push('[');
  const section = a.section ? a.section : FAKE;
  let within = false;
  let start = 0;
  let end = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith(`[${section}]`)) {
      within = true;
      start = i;
    } else if (line.startsWith('[')) {
      if (within) {
        end = i;
        break;
      }
    }
  }
  const before = lines.slice(0, start);
  let sec = lines.slice(start, end);
  const after = lines.slice(end);
  let changedLines = sec.map(() => 0);
  let msg = 'OK';
  const fmt = (o: string, v: string): string => (a.no_extra_spaces ? `${o}=${v}\n` : `${o} = ${v}\n`);
  let noValuePresent = false;
  const update = (i: number, newline: string): void => {
    if (sec[i] !== newline) {
      changed = true;
      msg = 'option changed';
    }
    sec[i] = newline;
    changedLines[i] = 1;
  };

  if (a.state === 'present' && option) {
    for (let i = 0; i < sec.length; i++) {
      const v = matchOpt(option, sec[i]!);
      if (v === undefined) continue;
      if (values.length && values.includes(v)) {
        if (!v && a.allow_no_value) {
          update(i, `${option}\n`);
          noValuePresent = true;
        } else update(i, fmt(option, v));
        values.splice(values.indexOf(v), 1);
      } else if (!values.length && a.allow_no_value) {
        update(i, `${option}\n`);
        noValuePresent = true;
        break;
      }
    }
  }
  if (a.state === 'present' && a.exclusive && !a.allow_no_value) {
    if (values.length) {
      for (let i = 0; i < sec.length; i++) {
        if (!changedLines[i] && option !== undefined && matchOpt(option, sec[i]!) !== undefined) {
          update(i, fmt(option, values.shift()!));
          if (!values.length) break;
        }
      }
    }
    for (let i = sec.length - 1; i > 0; i--) {
      // (community.general matches an undefined option as the text "None")
      if (!changedLines[i] && matchOpt(option ?? 'None', sec[i]!) !== undefined) {
        sec.splice(i, 1);
        changedLines.splice(i, 1);
        changed = true;
        msg = 'option changed';
      }
    }
  }
  if (a.state === 'present') {
    for (let i = sec.length; i > 0; i--) {
      if (!BLANK_OR_COMMENT.test(sec[i - 1]!.replace(/\n$/, ''))) {
        if (option && values.length) {
          for (const v of [...values].reverse()) {
            sec.splice(i, 0, fmt(option, v));
            msg = 'option added';
            changed = true;
          }
        } else if (option && !values.length && a.allow_no_value && !noValuePresent) {
          sec.splice(i, 0, `${option}\n`);
          msg = 'option added';
          changed = true;
        }
        break;
      }
    }
  }
  if (a.state === 'absent') {
    if (option) {
      let kept = sec;
      if (a.exclusive) kept = sec.filter((l) => matchOpt(option, l, true) === undefined);
      else if (values.length) kept = sec.filter((l) => !values.includes(matchOpt(option, l, true) ?? '\0none'));
      if (kept.length !== sec.length) {
        changed = true;
        msg = 'option changed';
        sec = kept;
        changedLines = sec.map(() => 0);
      }
    } else if (sec.length) {
      sec = [];
      msg = 'section removed';
      changed = true;
    }
  }
  const out = [...before, ...sec, ...after];
  out.shift();
  out.pop();
  if (!within && a.state === 'present') {
    out.push(`[${section}]\n`);
    msg = 'section and option added';
    if (option && values.length) for (const v of values) out.push(fmt(option, v));
    else if (option && !values.length && a.allow_no_value) out.push(`${option}\n`);
    else msg = 'only section added';
    changed = true;
  }
  return { content: Buffer.from(out.join(''), 'utf8'), changed, msg };
}
