/**
 * The file module's modification_time / access_time: 'preserve', 'now', or a time in
 * modification_time_format (default '%Y%m%d%H%M.%S', as touch -t). A time is local time on the target
 * (Ansible uses time.mktime there), so it is parsed here into 'YYYY-MM-DD HH:MM:SS' and turned into epoch
 * seconds by `date -d` on the host, inside the file-state fact.
 */
import { ArgsError } from '../../src/contract/index.js';

export const DEFAULT_TIME_FORMAT = '%Y%m%d%H%M.%S';

const FIELDS: Record<string, { re: string; key: 'Y' | 'y' | 'm' | 'd' | 'H' | 'M' | 'S' }> = {
  Y: { re: '(\\d{4})', key: 'Y' },
  y: { re: '(\\d{2})', key: 'y' },
  m: { re: '(\\d{1,2})', key: 'm' },
  d: { re: '(\\d{1,2})', key: 'd' },
  H: { re: '(\\d{1,2})', key: 'H' },
  M: { re: '(\\d{1,2})', key: 'M' },
  S: { re: '(\\d{1,2})', key: 'S' },
};

/** strptime for %Y %y %m %d %H %M %S %% → 'YYYY-MM-DD HH:MM:SS'. */
export function parseTimeStamp(value: string, format: string, argName: string): string {
  let re = '^';
  const keys: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === '%') {
      const d = format[++i];
      if (d === '%') re += '%';
      else if (d && FIELDS[d]) {
        re += FIELDS[d].re;
        keys.push(FIELDS[d].key);
      } else throw new ArgsError(`${argName}: format directive %${d ?? ''} is not supported (use %Y %y %m %d %H %M %S)`, `/${argName}_format`);
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  const m = new RegExp(re + '$').exec(value.trim());
  if (!m) throw new ArgsError(`Error while obtaining timestamp for time ${value} using format ${format}`, `/${argName}`);
  const v: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  keys.forEach((k, i) => {
    const n = Number(m[i + 1]);
    if (k === 'y') v.Y = n < 69 ? 2000 + n : 1900 + n;
    else v[k] = n;
  });
  const ok = v.m! >= 1 && v.m! <= 12 && v.d! >= 1 && v.d! <= 31 && v.H! <= 23 && v.M! <= 59 && v.S! <= 61;
  if (!ok) throw new ArgsError(`Error while obtaining timestamp for time ${value} using format ${format}: value out of range`, `/${argName}`);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(v.Y!, 4)}-${p(v.m!)}-${p(v.d!)} ${p(v.H!)}:${p(v.M!)}:${p(v.S!)}`;
}

export type TimeSpec = { kind: 'preserve' } | { kind: 'now' } | { kind: 'at'; local: string };

export function timeSpec(value: string | undefined, format: string, dflt: 'preserve' | 'now', argName: string): TimeSpec {
  const v = value ?? dflt;
  if (v === 'preserve') return { kind: 'preserve' };
  if (v === 'now') return { kind: 'now' };
  return { kind: 'at', local: parseTimeStamp(v, format, argName) };
}
