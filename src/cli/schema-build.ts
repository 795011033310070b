/**
 * JSON Schemas (draft-07, what yaml-language-server supports best) of playbooks and YAML inventories, for editor
 * completion, hover docs and squiggles under typos. They are generated from what the loader itself uses — the
 * keyword sets of config/keywords.ts and every module's TypeBox `args` — so they cannot drift from what tsplay
 * accepts; docs/schema/*.json are this output, checked by test/unit/schema.test.ts.
 *
 * The schemas aim to have no false errors on valid content: where tsplay is lenient at run time they are too
 * (see widen). They do not replace --syntax-check: cross-argument rules, undefined variables and handler names
 * are checked there, not here.
 */
import { ModuleRegistry } from '../contract/registry.js';
import { builtinModules } from '../../modules/index.js';
import type { AnyModule } from '../contract/define.js';
import { INCLUDE_ARGS, META_ACTIONS } from '../config/tasks.js';
import { FALSE_WORDS, TRUE_WORDS } from '../../lib/args/booleans.js';
import { BLOCK_KEYWORDS, IMPORT_PLAYBOOK_KEYWORDS, INCLUDE_KEYS, PLAY_KEYWORDS, TASK_KEYWORDS } from '../config/keywords.js';

export type Schema = { [key: string]: unknown };
export type SchemaKind = 'playbook' | 'inventory';

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const mapValues = (o: Schema, f: (s: Schema) => Schema): Schema => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, isObj(v) ? f(v) : v]));
const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });

/** A Jinja expression or statement anywhere in a string: it may render to any type (`mode: "{{ m }}"`, `users: "{{ list }}"`). */
const TEMPLATE = String.raw`\{\{[\s\S]*\}\}|\{%[\s\S]*%\}`;
const TEMPLATE_STRING: Schema = { type: 'string', pattern: TEMPLATE };
/** Ansible's boolean words, any case (module/validate.ts for arguments, engine/keywords.ts strictBool for keywords). */
const BOOL_WORDS = [...TRUE_WORDS, ...FALSE_WORDS];
const anyCase = (w: string) => [...w].map((c) => (/[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c)).join('');
const BOOL_STRING = `^(?:${BOOL_WORDS.map(anyCase).join('|')})$`;
/** A number in a string: Ajv's coerceTypes (arguments) and strictInt (keywords) accept it. */
const NUMBER_STRING = String.raw`^\s*[-+]?\d+(?:\.\d*)?\s*$`;

/**
 * A typed schema widened to what tsplay accepts at run time. Arguments are templated first, then checked by Ajv
 * with coerceTypes (a number where a string is expected, "5" for an integer) and Ansible's yes/no booleans;
 * keywords go through strictBool/strictInt. So: a template string passes anywhere, a boolean also takes
 * yes/no/on/off and 0/1, a number also takes a numeric string, a string also takes a number or a boolean.
 * Only type-specific keywords are added (`pattern` applies to strings only, `minimum` to numbers only), so
 * an error still says what was expected.
 */
export function widen(s: Schema): Schema {
  const out: Schema = { ...s };
  if (isObj(s.properties)) out.properties = mapValues(s.properties, widen);
  // a field with a default is not required (autofs_map's entries.state): Ajv fills defaults before it checks `required`
  if (isObj(s.properties) && Array.isArray(s.required)) {
    const props = s.properties;
    const required = (s.required as string[]).filter((k) => {
      const p = props[k];
      return !isObj(p) || p.default === undefined;
    });
    if (required.length) out.required = required;
    else delete out.required;
  }
  if (isObj(s.patternProperties)) out.patternProperties = mapValues(s.patternProperties, widen);
  if (isObj(s.additionalProperties)) out.additionalProperties = widen(s.additionalProperties);
  if (isObj(s.items)) out.items = widen(s.items);
  const literal = (a: Schema) => a.const !== undefined || a.enum !== undefined;
  if (Array.isArray(s.anyOf)) {
    const alts = s.anyOf as Schema[];
    out.anyOf = [...alts.map((a) => (literal(a) ? a : widen(a))), ...(alts.some(literal) ? [TEMPLATE_STRING] : [])];
    return out;
  }
  if (literal(s)) {
    const { description, ...rest } = out;
    return { ...(description !== undefined ? { description } : {}), anyOf: [rest, TEMPLATE_STRING] };
  }
  const types = s.type === undefined ? [] : ([] as string[]).concat(s.type as string | string[]);
  if (!types.length) return out; // any value
  const has = (...t: string[]) => t.some((x) => types.includes(x));
  const added = new Set(types);
  added.add('string');
  const patterns: string[] = [];
  if (has('string')) {
    added.add('number').add('boolean');
    if (s.pattern !== undefined) patterns.push(`(?:${String(s.pattern)})`);
  }
  if (has('boolean')) patterns.push(BOOL_STRING);
  if (has('number', 'integer')) patterns.push(NUMBER_STRING);
  if (has('boolean') && !has('number', 'integer')) {
    added.add('integer');
    Object.assign(out, { minimum: 0, maximum: 1 });
  }
  const free = has('string') && s.pattern === undefined;
  delete out.pattern;
  if (!free) out.pattern = [...patterns, TEMPLATE].join('|');
  out.type = [...added];
  return out;
}

// ---- modules ----

/**
 * A module's value: its TypeBox `args` (already JSON Schema; JSON round-tripping drops TypeBox's symbol keys),
 * widened, with its argument aliases as properties of their own. Ajv fills defaults before checking `required`,
 * so an argument with a default is not required; one with aliases may be given by any of its names.
 */
function moduleSchema(m: AnyModule): Schema {
  const args = JSON.parse(JSON.stringify(m.args)) as Schema;
  const original = (args.properties ?? {}) as Record<string, Schema>;
  const props = mapValues(original, widen);
  const aliases = Object.entries(m.argAliases ?? {});
  for (const [alias, target] of aliases) {
    const t = (props[target] ?? {}) as Schema;
    props[alias] = { ...t, description: `alias of ${target}${t.description ? `: ${String(t.description)}` : ''}` };
  }
  const names = (k: string) => [k, ...aliases.filter(([, t]) => t === k).map(([a]) => a)];
  const required = ((args.required ?? []) as string[]).filter((k) => original[k]?.default === undefined);
  const plain = required.filter((k) => names(k).length === 1);
  const either = required.filter((k) => names(k).length > 1).map((k) => ({ anyOf: names(k).map((n) => ({ required: [n] })) }));
  return {
    description: m.description,
    // `copy: src=a dest=b`; free-form modules take plain text (`command: ls`); null: no arguments, or all in `args:`;
    // a template (`file: "{{ item }}"`) gives a mapping of arguments at run time
    type: m.freeForm ? ['object', 'string', 'number', 'boolean', 'null'] : ['object', 'string', 'null'],
    ...(m.freeForm ? {} : { pattern: '=|\\{\\{|\\{%' }),
    properties: props,
    additionalProperties: args.additionalProperties ?? false,
    ...(plain.length ? { required: plain } : {}),
    ...(either.length ? { allOf: either } : {}),
  };
}

/** include_tasks, import_role, meta...: directives of the loader, not modules (config/tasks.ts). */
function directiveSchema(key: string): Schema {
  const d = key.replace(/^ansible\.(builtin|legacy)\./, '');
  if (d === 'meta') return { description: 'an action of the engine', enum: [...META_ACTIONS] };
  const role = d.endsWith('_role');
  const typed: Record<string, Schema> = { public: BOOL, allow_duplicates: BOOL, rolespec_validate: BOOL, apply: { type: 'object' } };
  return {
    description: role ? `${d}: a role's tasks (name:)` : `${d}: a tasks file (its name, or file:)`,
    type: role ? 'object' : ['string', 'object'],
    properties: Object.fromEntries(INCLUDE_ARGS[d]!.map((k) => [k, typed[k] ?? STR])),
    additionalProperties: false,
    ...(role ? { required: ['name'] } : {}),
  };
}

// ---- keywords ----

const BOOL = widen({ type: 'boolean' });
const INT = widen({ type: 'integer' });
const STR = widen({ type: 'string' });
const STR_LIST: Schema = { type: ['string', 'number', 'array'], items: { type: ['string', 'number'] } };
const COND: Schema = {
  description: 'a Jinja expression (no {{ }}), a boolean, or a list that must all hold',
  type: ['string', 'boolean', 'array'],
  items: { type: ['string', 'boolean'] },
};
const TASKS = ref('tasks');
/** A keyword Ansible has and the loader refuses (config/tasks.ts LOOP_KINDS, config/playbook.ts). */
const unsupported = (instead: string): Schema => ({ description: `not supported by tsplay: ${instead}`, not: {} });
const NO_LOOP = unsupported('use loop: (with a filter or a registered result)');

/** Types of the keywords tsplay checks; a keyword of the sets that is not here takes any value. */
const KEYWORD_TYPES: Record<string, Schema> = {
  name: STR,
  hosts: { description: 'host pattern(s): all, a group, a host, web*, ...', type: ['string', 'number', 'array'], items: { type: ['string', 'number'] } },
  any_errors_fatal: BOOL,
  become: BOOL,
  check_mode: BOOL,
  diff: BOOL,
  ignore_errors: BOOL,
  ignore_unreachable: BOOL,
  no_log: BOOL,
  run_once: BOOL,
  force_handlers: BOOL,
  gather_facts: BOOL,
  delegate_facts: BOOL,
  become_exe: STR,
  become_flags: STR,
  become_method: STR,
  become_user: STR,
  connection: STR,
  remote_user: STR,
  delegate_to: STR,
  fact_path: STR,
  strategy: STR,
  port: INT,
  throttle: INT,
  timeout: INT,
  gather_timeout: INT,
  async: INT,
  poll: INT,
  retries: INT,
  delay: INT,
  max_fail_percentage: widen({ type: 'number' }),
  order: widen({ enum: ['inventory', 'reverse_inventory', 'sorted', 'reverse_sorted', 'shuffle'] }),
  serial: {
    description: 'batch size(s): a number, a percentage, or a list of them',
    type: ['number', 'string', 'array'],
    items: { type: ['number', 'string'] },
  },
  tags: STR_LIST,
  notify: STR_LIST,
  listen: STR_LIST,
  collections: { type: 'array', items: { type: 'string' } },
  gather_subset: { type: ['string', 'array'], items: { type: 'string' } },
  vars: { description: 'variables: a mapping (or a list of mappings)', type: ['object', 'array', 'null'], items: { type: 'object' } },
  vars_files: { type: ['string', 'array'], items: { type: ['string', 'array'], items: { type: 'string' } } },
  vars_prompt: {
    type: 'array',
    items: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        ...Object.fromEntries(['name', 'prompt', 'private', 'default', 'confirm', 'salt_size', 'salt', 'unsafe'].map((k) => [k, {}])),
        encrypt: unsupported('the value is used as typed'),
      },
    },
  },
  environment: { type: ['object', 'array', 'string'] },
  module_defaults: { type: ['object', 'array'] },
  when: COND,
  changed_when: COND,
  failed_when: COND,
  until: COND,
  tasks: TASKS,
  pre_tasks: TASKS,
  post_tasks: TASKS,
  handlers: TASKS,
  block: TASKS,
  rescue: TASKS,
  always: TASKS,
  roles: { type: 'array', items: ref('role') },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  args: { description: "the module's arguments (merged under the module key's), or a template giving them", type: ['object', 'string'] },
  action: { type: ['string', 'object'], properties: { module: { type: 'string' } }, required: ['module'] },
  local_action: { type: ['string', 'object'], properties: { module: { type: 'string' } }, required: ['module'] },
  loop: { description: 'a list, or a template that renders to one', type: ['array', 'string'] },
  with_random_choice: NO_LOOP,
  with_inventory_hostnames: NO_LOOP,
  loop_control: {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(['loop_var', 'index_var', 'label', 'pause', 'extended', 'extended_allitems'].map((k) => [k, {}])),
  },
};

const keywords = (set: Iterable<string>, except: string[] = []): Schema =>
  Object.fromEntries(
    [...set]
      .filter((k) => !except.includes(k))
      .sort()
      .map((k) => [k, KEYWORD_TYPES[k] ?? {}]),
  );

/** One of `ifKeys` present → `then`, else `otherwise`: the errors name one branch, not both. */
const discriminate = (ifKeys: string[], then: Schema, otherwise: Schema): Schema => ({
  if: { anyOf: ifKeys.map((k) => ({ required: [k] })) },
  then,
  else: otherwise,
});

// ---- the schemas ----

export function playbookSchema(reg = new ModuleRegistry(builtinModules)): Schema {
  const modules = reg.modules();
  const names = reg.names().sort();
  // other collections' modules (community.general.*) are not errors: real content uses them; unknown
  // ansible.builtin.* / ansible.legacy.* names, and known names of other collections, are checked as usual
  const dotted = names.filter((n) => n.includes('.') && !/^ansible\.(builtin|legacy)\./.test(n)).map((n) => n.replace(/\./g, '\\.'));
  const otherFqcn = `^(?!ansible\\.(?:builtin|legacy)\\.)(?!(?:${dotted.join('|')})$)[a-z0-9_]+\\.[a-z0-9_]+\\.[a-z0-9_]+$`;
  const directives = [...INCLUDE_KEYS].sort();
  const moduleKeys = Object.fromEntries([
    ...names.map((n) => [n, ref(`module_${reg.get(n)!.name}`)]),
    ...directives.map((d) => [d, ref(`directive_${d.replace(/^ansible\.(builtin|legacy)\./, '')}`)]),
  ]);
  const task: Schema = {
    type: 'object',
    properties: { ...keywords(TASK_KEYWORDS), ...moduleKeys },
    patternProperties: { [otherFqcn]: { description: 'a module of another collection (not checked)' } },
    additionalProperties: false,
    // exactly one module per task (or action:/local_action:)
    oneOf: [
      ...[...names, ...directives].map((k) => ({ required: [k] })),
      { required: ['action'] },
      { required: ['local_action'] },
      { not: { propertyNames: { not: { pattern: otherFqcn } } } },
    ],
  };
  const definitions: Schema = {
    play: { type: 'object', properties: keywords(PLAY_KEYWORDS), additionalProperties: false, required: ['hosts'] },
    import_playbook: {
      type: 'object',
      properties: { ...keywords(IMPORT_PLAYBOOK_KEYWORDS), import_playbook: STR, 'ansible.builtin.import_playbook': STR },
      additionalProperties: false,
    },
    tasks: { type: ['array', 'null'], items: discriminate(['block', 'rescue', 'always'], ref('block'), ref('task')) },
    block: { type: 'object', properties: keywords(BLOCK_KEYWORDS), additionalProperties: false, required: ['block'] },
    task,
    // a role's name, or a mapping with role: (or name:), keywords, and the role's parameters (any other key)
    role: {
      type: ['string', 'object'],
      properties: {
        ...keywords(BLOCK_KEYWORDS, ['block', 'rescue', 'always', 'notify']),
        role: STR,
        tasks_from: STR,
        handlers_from: STR,
        defaults_from: STR,
        vars_from: STR,
        public: BOOL,
        allow_duplicates: BOOL,
      },
      anyOf: [{ required: ['role'] }, { required: ['name'] }],
    },
    ...Object.fromEntries(modules.map((m) => [`module_${m.name}`, moduleSchema(m)])),
    ...Object.fromEntries(
      [...new Set(directives.map((d) => d.replace(/^ansible\.(builtin|legacy)\./, '')))].map((d) => [`directive_${d}`, directiveSchema(d)]),
    ),
  };
  return {
    $schema: DRAFT_07,
    title: 'tsplay playbook',
    description: 'A list of plays (and import_playbook entries). Generated by `tsplay schema playbook`.',
    type: 'array',
    minItems: 1,
    items: discriminate(['import_playbook', 'ansible.builtin.import_playbook'], ref('import_playbook'), ref('play')),
    definitions,
  };
}

/** Ansible's YAML inventory (config/inventory/yaml-inventory.ts): groups with hosts, vars and children, to any depth. */
export function inventorySchema(): Schema {
  const section = (what: string, value: Schema): Schema => ({ description: what, type: ['object', 'string', 'null'], additionalProperties: value });
  return {
    $schema: DRAFT_07,
    title: 'tsplay YAML inventory',
    description: 'Top-level keys are groups (usually all). Generated by `tsplay schema inventory`.',
    type: 'object',
    minProperties: 1,
    additionalProperties: ref('group'),
    definitions: {
      group: {
        type: ['object', 'null'],
        properties: {
          hosts: section('host names (or patterns: node[01:20]) and their variables', { description: "the host's variables", type: ['object', 'null'] }),
          children: section('groups in this group', ref('group')),
          vars: { description: "the group's variables", type: ['object', 'null'] },
        },
        additionalProperties: false,
      },
    },
  };
}

/** The schema as written by `tsplay schema` and kept in docs/schema/. */
export function schemaText(kind: SchemaKind): string {
  return JSON.stringify(kind === 'playbook' ? playbookSchema() : inventorySchema(), null, 2) + '\n';
}
