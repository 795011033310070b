/**
 * include_vars: load variables from a YAML/JSON file (or every such file of a directory) on the controller.
 * The engine stores them at include_vars precedence (above task vars, below set_fact): the result's
 * ansible_facts carry the variables and `_tsplay_vars_scope: include_vars` says where they go.
 * Relative paths are searched like Ansible: the role's vars/, the role, the playbook dir's vars/, the playbook dir.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ArgsError, ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { loadYamlFile } from '../../../src/config/yaml.js';

const Args = Type.Object(
  {
    file: Type.Optional(Type.String({ description: 'the vars file (also the free-form argument)' })),
    dir: Type.Optional(Type.String({ description: 'load every vars file of this directory, sorted by name' })),
    name: Type.Optional(Type.String({ description: 'put the variables under this one variable instead of at the top level' })),
    depth: Type.Integer({ default: 0, minimum: 0, description: 'dir: how deep to descend (0 = no limit)' }),
    files_matching: Type.Optional(Type.String({ description: 'dir: only files whose name matches this regular expression' })),
    ignore_files: Type.Array(Type.String(), { default: [], description: 'dir: file names to skip' }),
    extensions: Type.Array(Type.String(), { default: ['json', 'yaml', 'yml'], description: 'dir: file extensions to load' }),
    ignore_unknown_extensions: Type.Boolean({ default: false, description: 'dir: skip files with other extensions instead of failing' }),
    hash_behaviour: Type.Optional(
      Type.Union([Type.Literal('replace'), Type.Literal('merge')], {
        description:
          'merge: a mapping loaded over an existing mapping variable (or over one of an earlier file) is merged into it recursively; replace (default): it replaces it',
      }),
    ),
  },
  { additionalProperties: false },
);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ansible's recursive combine: mappings merge key by key, anything else the new value replaces. */
function combine(old: unknown, next: unknown): unknown {
  if (!isMap(old) || !isMap(next)) return next;
  const out: Record<string, unknown> = { ...old };
  for (const [k, v] of Object.entries(next)) out[k] = combine(old[k], v);
  return out;
}

function searchBases(vars: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const k of ['role_path', 'playbook_dir']) {
    const d = vars[k];
    if (typeof d === 'string' && d) out.push(join(d, 'vars'), d);
  }
  return out;
}

function locate(path: string, vars: Readonly<Record<string, unknown>>): { found?: string; searched: string[] } {
  if (isAbsolute(path)) return { found: existsSync(path) ? path : undefined, searched: [path] };
  const searched = searchBases(vars).map((b) => resolve(b, path));
  return { found: searched.find((p) => existsSync(p)), searched };
}

function readVars(path: string): Record<string, unknown> {
  const data = loadYamlFile(path);
  if (data == null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ModuleError(`${path} must be stored as a dictionary/hash`);
  return data as Record<string, unknown>;
}

function dirFiles(root: string, depth: number, match: RegExp | undefined, ignore: Set<string>, exts: string[], ignoreUnknown: boolean): string[] {
  const out: string[] = [];
  const walk = (dir: string, level: number) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) {
        if (depth === 0 || level < depth) walk(p, level + 1);
        continue;
      }
      if (ignore.has(entry) || (match && !match.test(entry))) continue;
      const ext = entry.includes('.') ? entry.slice(entry.lastIndexOf('.') + 1) : '';
      if (!exts.includes(ext)) {
        if (ignoreUnknown) continue;
        const msg = `${p} does not have a valid extension: ${exts.join(', ')}`;
        throw new ModuleError(msg, { result: { message: msg } }); // Ansible's include_vars reports it as `message`
      }
      out.push(p);
    }
  };
  walk(root, 1);
  return out;
}

export const includeVars = defineModule({
  name: 'include_vars',
  aliases: ['ansible.builtin.include_vars', 'ansible.legacy.include_vars'],
  description: 'Load variables from a YAML/JSON file or a directory of them, on the controller',
  examples: `- name: site settings (on-prem DNS, mail relay, uid/gid table)
  ansible.builtin.include_vars:
    file: vars/site.yml
- name: every partition's settings, under one variable
  ansible.builtin.include_vars:
    dir: vars/partitions
    name: partitions
    extensions: [yml]
`,
  returns: {
    ansible_facts: 'the variables loaded (at include_vars precedence)',
    ansible_included_var_files: 'the files read, in order',
  },
  args: Args,
  freeForm: 'file',
  runsOn: 'controller',
  rules: { requiredOneOf: [['file', 'dir']], mutuallyExclusive: [['file', 'dir']] },
  validate(a) {
    if (a.name !== undefined && !NAME.test(a.name)) throw new ArgsError(`include_vars: '${a.name}' is not a valid variable name`, '/name');
  },
  async check(ctx, a) {
    const files: string[] = [];
    // as ansible-core's include_vars action: the free-form file name loses its trailing newlines (`include_vars: >`)
    if (a.file !== undefined) a = { ...a, file: a.file.replace(/\n+$/, '') };
    if (a.file !== undefined) {
      const f = a.file ? locate(a.file, ctx.vars) : { found: undefined, searched: [] };
      if (!f.found || statSync(f.found).isDirectory()) {
        // ansible-core's AnsibleFileNotFound text, reported (as Ansible's include_vars does) as `message` too
        const what = a.file ? `Could not find or access '${a.file}'\nSearched in:\n\t${f.searched.join('\n\t')}` : 'Could not find file';
        const msg = `${what} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option`;
        throw new ModuleError(msg, { result: { message: msg, ansible_facts: {}, ansible_included_var_files: [] } });
      }
      files.push(f.found);
    } else {
      const d = locate(a.dir!, ctx.vars);
      if (!d.found || !statSync(d.found).isDirectory()) throw new ModuleError(`${a.dir} directory does not exist (searched: ${d.searched.join(', ')})`);
      let match: RegExp | undefined;
      try {
        match = a.files_matching !== undefined ? new RegExp(a.files_matching) : undefined;
      } catch {
        throw new ArgsError(`include_vars: files_matching is not a valid regular expression`, '/files_matching');
      }
      files.push(...dirFiles(d.found, a.depth, match, new Set(a.ignore_files), a.extensions, a.ignore_unknown_extensions));
    }
    const merge = a.hash_behaviour === 'merge';
    const loaded: Record<string, unknown> = {};
    for (const f of files) for (const [k, v] of Object.entries(readVars(f))) loaded[k] = merge ? combine(loaded[k], v) : v;
    const facts = a.name !== undefined ? { [a.name]: loaded } : loaded;
    if (merge) for (const k of Object.keys(facts)) facts[k] = combine(ctx.vars[k], facts[k]);
    for (const k of Object.keys(facts)) if (!NAME.test(k)) throw new ModuleError(`include_vars: '${k}' is not a valid variable name`);
    return ok({ ansible_facts: facts, ansible_included_var_files: files, _tsplay_vars_scope: 'include_vars' });
  },
});
