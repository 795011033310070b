/**
 * .repo files as ansible-core's yum_repository sees them: Python's RawConfigParser (3.11 defaults: `=`/`:`
 * delimiters, `#`/`;` full-line comments, indented continuation lines, lower-cased keys, strict duplicates,
 * a DEFAULT section) read, compared through the module's sorted dump, and written back the way
 * RawConfigParser.write does (`key = value`, continuation lines as `\n\t`, a blank line after every section).
 */

export interface RepoIni {
  /** DEFAULT's keys (merged into every section's items, as configparser does) */
  defaults: Map<string, string>;
  /** sections in file order (a re-added section moves to the end, as remove_section + add_section do) */
  sections: Map<string, Map<string, string>>;
}

export class RepoParseError extends Error {}

const SECT = /^\[(.+)\]/;
const OPT = /^(.*?)\s*([=:])\s*(.*)$/;

/** Python's str.strip() set (close enough: JS whitespace plus the C0 separators Python strips). */
const strip = (s: string): string => s.replace(/^[\s\x1c-\x1f]+|[\s\x1c-\x1f]+$/g, '');

export function parseRepoIni(text: string, file = '<file>'): RepoIni {
  const defaults = new Map<string, string[]>();
  const sections = new Map<string, Map<string, string[]>>();
  const added = new Set<string>();
  let cur: Map<string, string[]> | null = null;
  let sect = '';
  let opt: string | null = null;
  let indent = Number.MAX_SAFE_INTEGER;
  const lines = text.split(/(?<=\n)/);
  lines.forEach((line, i) => {
    const lineno = i + 1;
    const comment = /^\s*[#;]/.test(line);
    const value = comment ? '' : strip(line);
    if (!value) {
      if (!comment && cur && opt !== null && cur.get(opt) !== undefined) cur.get(opt)!.push('');
      return;
    }
    const lead = /\S/.exec(line);
    const level = lead ? lead.index : 0;
    if (cur && opt !== null && level > indent) {
      cur.get(opt)!.push(value);
      return;
    }
    indent = level;
    const m = SECT.exec(value);
    if (m) {
      sect = m[1]!;
      if (sections.has(sect)) {
        if (added.has(sect)) throw new RepoParseError(`While reading from '${file}' [line ${lineno}]: section '${sect}' already exists`);
        cur = sections.get(sect)!;
      } else if (sect === 'DEFAULT') cur = defaults;
      else {
        cur = new Map();
        sections.set(sect, cur);
      }
      added.add(sect);
      opt = null;
      return;
    }
    if (!cur) throw new RepoParseError(`File contains no section headers.\nfile: '${file}', line: ${lineno}\n${JSON.stringify(line)}`);
    const o = OPT.exec(value);
    if (!o || !o[1]) throw new RepoParseError(`Source contains parsing errors: '${file}'\n\t[line ${lineno}]: ${JSON.stringify(line)}`);
    opt = o[1].trimEnd().toLowerCase();
    const key = `${sect}\0${opt}`;
    if (added.has(key)) throw new RepoParseError(`While reading from '${file}' [line ${lineno}]: option '${opt}' in section '${sect}' already exists`);
    added.add(key);
    cur.set(opt, [strip(o[3]!)]);
  });
  const join = (m: Map<string, string[]>) => new Map([...m].map(([k, v]) => [k, v.join('\n').trimEnd()] as const));
  return { defaults: join(defaults), sections: new Map([...sections].map(([s, m]) => [s, join(m)] as const)) };
}

/** Python's default string order (code points), as sorted() uses. */
const byCodePoint = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
};
export const pySorted = (xs: Iterable<string>): string[] => [...xs].sort(byCodePoint);

/** A section's items as configparser's items(section) gives them: DEFAULT's keys overlaid by the section's. */
function items(ini: RepoIni, section: string): Map<string, string> {
  return new Map([...ini.defaults, ...(ini.sections.get(section) ?? [])]);
}

/** The module's dump(): sections and keys sorted; what decides `changed` and what the diff shows. */
export function dumpRepoIni(ini: RepoIni): string {
  let out = '';
  for (const s of pySorted(ini.sections.keys())) {
    out += `[${s}]\n`;
    const it = items(ini, s);
    for (const k of pySorted(it.keys())) out += `${k} = ${it.get(k)!}\n`;
    out += '\n';
  }
  return out;
}

/** RawConfigParser.write(): DEFAULT first (when it has keys), then the sections in their order. */
export function writeRepoIni(ini: RepoIni): string {
  const section = (name: string, m: Map<string, string>) => `[${name}]\n${[...m].map(([k, v]) => `${k} = ${v.replace(/\n/g, '\n\t')}\n`).join('')}\n`;
  return (ini.defaults.size ? section('DEFAULT', ini.defaults) : '') + [...ini.sections].map(([s, m]) => section(s, m)).join('');
}

/** remove_section + add_section: the section (re)added last with the given keys. */
export function withSection(ini: RepoIni, name: string, keys: Map<string, string>): RepoIni {
  const sections = new Map(ini.sections);
  sections.delete(name);
  sections.set(name, keys);
  return { defaults: ini.defaults, sections };
}

export function withoutSection(ini: RepoIni, name: string): RepoIni {
  const sections = new Map(ini.sections);
  sections.delete(name);
  return { defaults: ini.defaults, sections };
}
