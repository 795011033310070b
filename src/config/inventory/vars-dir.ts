/**
 * group_vars/ and host_vars/ beside an inventory source or a playbook, found like Ansible's
 * host_group_vars plugin and DataLoader.find_vars_files: for an entity `name` the first of
 * `name`, `name.yml`, `name.yaml`, `name.json` that exists; a directory is read recursively
 * (sorted; files with those extensions or none; hidden files and `*~` skipped); files merge in order.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TsplayError } from '../../errors.js';
import { parseYaml, posOfObject } from '../yaml.js';
import { readSourceFile } from '../source-file.js';

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

import type { Vars } from '../playbook-types.js';
export type { Vars };
export type DecryptFile = (text: string, file: string) => string | Promise<string>;

export interface VarsDirOptions {
  /** Decrypts a whole-file vault (`$ANSIBLE_VAULT;...`); without it such a file is an error. */
  decryptFile?: DecryptFile;
  warn?: (msg: string) => void;
}

function stat(p: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

export class VarsDir {
  private readonly groupVars = new Map<string, Vars>();
  private readonly hostVars = new Map<string, Vars>();
  private constructor(readonly basedir: string) {}

  /** Load the vars files of the given groups and hosts found under basedir. */
  static async load(basedir: string, names: { groups: Iterable<string>; hosts: Iterable<string> }, opts: VarsDirOptions = {}): Promise<VarsDir> {
    const d = new VarsDir(basedir);
    await d.loadKind('group_vars', names.groups, d.groupVars, opts);
    await d.loadKind('host_vars', names.hosts, d.hostVars, opts);
    return d;
  }

  group(name: string): Vars | undefined {
    return this.groupVars.get(name);
  }
  host(name: string): Vars | undefined {
    return this.hostVars.get(name);
  }

  private async loadKind(sub: string, names: Iterable<string>, into: Map<string, Vars>, opts: VarsDirOptions): Promise<void> {
    const dir = join(this.basedir, sub);
    const st = stat(dir);
    if (!st) return;
    if (!st.isDirectory()) {
      opts.warn?.(`Found ${sub} that is not a directory, skipping: ${dir}`);
      return;
    }
    const entries = new Set(readdirSync(dir));
    for (const name of names) {
      if (name.startsWith('/') || into.has(name)) continue;
      const files = findVarsFiles(dir, name, entries);
      if (!files.length) continue;
      let merged: Vars = {};
      for (const f of files) {
        const data = await loadVarsFile(f, opts);
        if (data) merged = { ...merged, ...data };
      }
      into.set(name, merged);
    }
  }
}

function findVarsFiles(dir: string, name: string, entries: Set<string>): string[] {
  for (const ext of EXTENSIONS) {
    if (!entries.has(name + ext)) continue;
    const full = join(dir, name + ext);
    const st = stat(full);
    if (!st) continue;
    return st.isDirectory() ? dirVarsFiles(full) : [full];
  }
  return [];
}

function dirVarsFiles(dir: string, seen = new Set<string>()): string[] {
  const out: string[] = [];
  // a symlink back to an ancestor directory would recurse without end
  const real = realDir(dir);
  if (seen.has(real)) return out;
  seen.add(real);
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const full = join(dir, entry);
    const dot = entry.lastIndexOf('.');
    const ext = dot > 0 ? entry.slice(dot) : '';
    const st = stat(full);
    if (!st) continue;
    if (st.isDirectory()) {
      if (!ext) out.push(...dirVarsFiles(full, seen));
    } else if (EXTENSIONS.includes(ext)) {
      out.push(full);
    }
  }
  return out;
}

async function loadVarsFile(file: string, opts: VarsDirOptions): Promise<Vars | undefined> {
  let text = readSourceFile(file, { code: 'inventory' });
  if (text.startsWith('$ANSIBLE_VAULT;')) {
    if (!opts.decryptFile) {
      throw new TsplayError('inventory', `${file} is vault-encrypted and no vault secret is available`, {
        source: { file, line: 1, col: 1 },
      });
    }
    text = await opts.decryptFile(text, file);
  }
  let data: unknown;
  try {
    data = parseYaml(text, file);
  } catch (e) {
    throw asInventoryError(e);
  }
  if (data === null || data === undefined || data === '') return undefined;
  if (typeof data !== 'object' || Array.isArray(data) || Object.getPrototypeOf(data) !== Object.prototype) {
    throw new TsplayError('inventory', `vars file must contain a mapping of variable names to values, got ${Array.isArray(data) ? 'a list' : typeof data}`, {
      source: (typeof data === 'object' && data && posOfObject(data)) || { file, line: 1, col: 1 },
    });
  }
  return data as Vars;
}

/** YAML errors met while loading the inventory become inventory errors (same message and position). */
export function asInventoryError(e: unknown): unknown {
  if (e instanceof TsplayError && e.code !== 'inventory') {
    return new TsplayError('inventory', e.message, { source: e.source, hint: e.hint, cause: e });
  }
  return e;
}

/** The real path of a directory, or the path itself when it cannot be resolved. */
export function realDir(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}
