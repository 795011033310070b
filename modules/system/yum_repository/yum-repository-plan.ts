/** yum_repository decisions (pure): the section's keys from the arguments, and the file before/after. */
import { dumpRepoIni, parseRepoIni, pySorted, withSection, withoutSection, writeRepoIni, type RepoIni } from './repo-ini.js';
import { NEWLINE_LISTS, REPO_KEYS, SPACE_LISTS } from './yum-repository-args.js';

export type RepoArgs = Record<string, unknown> & { name: string; state: 'present' | 'absent' };

const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : String(v).split(','));

/** The keys of the section, in the order ansible-core sets them (its parameters sorted by name). */
export function sectionKeys(a: RepoArgs): Map<string, string> {
  const params: Record<string, unknown> = { ...a, name: a.description };
  const out = new Map<string, string>();
  for (const k of pySorted(Object.keys(params))) {
    if (!REPO_KEYS.has(k)) continue;
    const v = params[k];
    if (v === undefined || v === null) continue;
    if (NEWLINE_LISTS.has(k)) out.set(k, asList(v).join('\n'));
    else if (SPACE_LISTS.has(k)) out.set(k, asList(v).join(' '));
    else if (typeof v === 'boolean') out.set(k, v ? '1' : '0');
    else out.set(k, String(v));
  }
  return out;
}

export interface RepoDecision {
  before: string;
  after: string;
  changed: boolean;
  /** the new file content; null: remove the file (no section left); undefined: no write */
  write?: string | null;
}

export function planRepoFile(current: string | null, dest: string, a: RepoArgs): RepoDecision {
  const ini: RepoIni = current === null ? { defaults: new Map(), sections: new Map() } : parseRepoIni(current, dest);
  const next = a.state === 'present' ? withSection(ini, a.name, sectionKeys(a)) : withoutSection(ini, a.name);
  const before = dumpRepoIni(ini);
  const after = dumpRepoIni(next);
  if (before === after) return { before, after, changed: false };
  return { before, after, changed: true, write: next.sections.size ? writeRepoIni(next) : null };
}
