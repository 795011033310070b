/** sysctl decisions (pure, unit-tested): the file edit and whether to set / reload the running value. */
import { boolWord } from '../../../lib/args/booleans.js';

export interface SysctlArgs {
  name: string;
  value?: string;
  state: 'present' | 'absent';
  sysctl_file: string;
  reload: boolean;
  sysctl_set: boolean;
  ignoreerrors: boolean;
}

export interface SysctlFacts {
  /** null: the key does not exist (or cannot be read) in the running kernel */
  running: string | null;
  /** null: no such file */
  file: string | null;
}

export interface SysctlPlan {
  /** new file content, when the file changes */
  write?: string;
  /** `sysctl -w` the value */
  set: boolean;
  /** `sysctl -p FILE` */
  reload: boolean;
}

/** Ansible's value normalisation: booleans become 1/0, surrounding blanks go. */
export function normalizeValue(v: string): string {
  const b = boolWord(v);
  return b === undefined ? v.trim() : b ? '1' : '0';
}

/** Values compare word by word ("32768\t60999" equals "32768 60999"). */
export function sameValue(a: string | null, b: string): boolean {
  if (a === null) return false;
  const x = a.trim().split(/\s+/);
  const y = b.trim().split(/\s+/);
  return x.length === y.length && x.every((w, i) => w === y[i]);
}

const keyOf = (k: string): string => k.trim().replace(/^-/, '').replace(/\//g, '.');

interface Entry {
  index: number;
  value: string;
}

function entries(lines: string[], name: string): Entry[] {
  const want = keyOf(name);
  const out: Entry[] = [];
  lines.forEach((line, index) => {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) return;
    const eq = t.indexOf('=');
    if (eq < 0) return;
    if (keyOf(t.slice(0, eq)) === want) out.push({ index, value: t.slice(eq + 1).trim() });
  });
  return out;
}

/** The file as it should be (other lines kept byte for byte), or null when it is already right. */
export function editSysctlFile(text: string | null, name: string, state: 'present' | 'absent', value: string): string | null {
  const src = text ?? '';
  const lines = src === '' ? [] : src.replace(/\n$/, '').split('\n');
  const found = entries(lines, name);
  const drop = new Set<number>();
  let replaceAt = -1;
  if (state === 'absent') {
    if (!found.length) return null;
    for (const e of found) drop.add(e.index);
  } else {
    const first = found[0];
    if (!first) {
      lines.push(`${name}=${value}`);
      return lines.join('\n') + '\n';
    }
    if (!sameValue(first.value, value)) replaceAt = first.index;
    // a later line for the same key wins when the file is loaded: drop those that disagree
    for (const e of found.slice(1)) if (!sameValue(e.value, value)) drop.add(e.index);
    if (replaceAt < 0 && !drop.size) return null;
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (drop.has(i)) return;
    out.push(i === replaceAt ? `${name}=${value}` : line);
  });
  return out.length ? out.join('\n') + '\n' : '';
}

export type SysctlDecision = { plan: SysctlPlan | null } | { error: string };

export function planSysctl(a: SysctlArgs, f: SysctlFacts): SysctlDecision {
  const value = normalizeValue(a.value ?? '');
  if (a.state === 'present' && f.running === null && !a.ignoreerrors) {
    return { error: `sysctl key '${a.name}' does not exist on this host (use ignoreerrors: true to only write the file)` };
  }
  const write = editSysctlFile(f.file, a.name, a.state, value);
  const differs = a.state === 'present' && f.running !== null && !sameValue(f.running, value);
  const set = a.sysctl_set && differs;
  // like Ansible: with reload, a right file but a wrong running value is fixed by reloading the file
  const reload = a.reload && (write !== null || differs);
  if (write === null && !set && !reload) return { plan: null };
  return { plan: { ...(write !== null ? { write } : {}), set, reload } };
}
