/**
 * What `tsplay doc` and docs/modules/ show of a module is true of the module:
 *   - its `examples` are 1-3 tasks of that module (its name or an alias), which the playbook loader takes as a play
 *     (what --syntax-check runs: keywords, expressions, the arguments against the schema), the editor's playbook
 *     JSON Schema accepts, and whose arguments pass the module's whole validation (schema, rules, validate());
 *   - every argument, nested fields included, has a description, and `returns` documents only keys beyond
 *     Ansible's common ones.
 * A value holding {{ }} is only known at run time. The rule: it may only stand where the argument (or the list item
 * or field it is in) takes a string, since a template renders to text; the loader still checks the task's other
 * arguments against the schema, but the rules and validate(), which need every value, run only on tasks without
 * templates.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { builtinModules } from '../../modules/index.js';
import type { AnyModule } from '../../src/contract/define.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { validateArgs } from '../../src/contract/validate.js';
import { loadPlaybook } from '../../src/config/playbook.js';
import { parseYaml } from '../../src/config/yaml.js';
import { isDynamic } from '../../src/config/static-args.js';
import type { TaskIR } from '../../src/config/playbook-types.js';
import { playbookSchema } from '../../src/cli/schema-build.js';
import { argDocs, type ArgDoc } from '../../src/cli/module-doc.js';
import { ONE_LINE_NOTE } from '../../lib/args/one-line.js';
import type { TsplayError } from '../../src/errors.js';

const registry = new ModuleRegistry(builtinModules);
const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictRequired: false });
const playbook = ajv.compile(playbookSchema());
const dir = mkdtempSync(join(tmpdir(), 'tsplay-examples-'));

/** Ansible's result keys every module may return: `returns` is for the others. */
const COMMON_KEYS = ['changed', 'failed', 'skipped', 'msg', 'rc', 'stdout', 'stderr', 'diff'];

const notifyOf = (t: unknown): string[] => {
  const n = (t as { notify?: unknown }).notify;
  return n === undefined ? [] : ([] as unknown[]).concat(n).map(String);
};

/** The examples as a playbook: one play on all hosts, with a handler for every name they notify. */
function playbookText(m: AnyModule, tasks: unknown[]): string {
  const handlers = [...new Set(tasks.flatMap(notifyOf))];
  const body = m
    .examples!.trimEnd()
    .split('\n')
    .map((l) => (l ? `    ${l}` : l));
  return [
    '- hosts: all',
    '  tasks:',
    ...body,
    ...(handlers.length ? ['  handlers:', ...handlers.map((h) => `    - { name: ${JSON.stringify(h)}, debug: { msg: handler } }`)] : []),
    '',
  ].join('\n');
}

/** Does the (argument) schema take a string? Unknown (no type) does. */
function takesString(s: TSchema): boolean {
  const alts = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  if (alts) return alts.some(takesString);
  if (s.type === undefined) return s.const === undefined && s.enum === undefined;
  return ([] as unknown[]).concat(s.type).includes('string');
}

/** Every {{ }} string in `v` stands where `s` takes a string (list items and object fields included). */
function templatesFit(s: TSchema | undefined, v: unknown): boolean {
  if (!s) return false;
  if (!isDynamic(v)) return true;
  const alts = (s.anyOf ?? s.oneOf) as TSchema[] | undefined;
  if (alts) return alts.some((a) => templatesFit(a, v));
  if (typeof v === 'string') return takesString(s);
  if (s.type === undefined) return true; // any value
  if (Array.isArray(v)) return s.type === 'array' && v.every((x) => templatesFit(s.items as TSchema | undefined, x));
  if (v !== null && typeof v === 'object' && s.type === 'object') {
    const props = (s.properties ?? {}) as Record<string, TSchema>;
    const extra = s.additionalProperties;
    return Object.entries(v).every(([k, x]) =>
      templatesFit(props[k] ?? (typeof extra === 'object' ? (extra as TSchema) : extra === true ? ({} as TSchema) : undefined), x),
    );
  }
  return false;
}

function argSchema(m: AnyModule, name: string): TSchema | undefined {
  const props = (m.args as { properties?: Record<string, TSchema> }).properties ?? {};
  const s = props[m.argAliases?.[name] ?? name];
  if (s) return s;
  // set_fact: any key is a variable
  return (m.args as { additionalProperties?: unknown }).additionalProperties === true ? ({} as TSchema) : undefined;
}

function flatDocs(args: ArgDoc[], prefix = ''): { name: string; description?: string }[] {
  return args.flatMap((a) => [{ name: prefix + a.name, description: a.description }, ...flatDocs(a.fields, `${prefix}${a.name}.`)]);
}

describe.each(builtinModules.map((m) => [m.name, m] as const))('%s', (_name, m) => {
  it('has examples: 1-3 tasks of this module that load, match the playbook schema and validate', () => {
    expect(m.examples, 'examples').toBeTypeOf('string');
    const tasks = parseYaml(m.examples!, `${m.name} examples`);
    expect(Array.isArray(tasks), 'the examples are a list of tasks').toBe(true);
    const list = tasks as unknown[];
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.length).toBeLessThanOrEqual(3);

    const text = playbookText(m, list);
    const file = join(dir, `${m.name}.yml`);
    writeFileSync(file, text);
    const errors: TsplayError[] = [];
    const pb = loadPlaybook(file, { registry, errors });
    expect(errors.map((e) => e.format()).join('\n'), 'loader (--syntax-check)').toBe('');

    const data = JSON.parse(JSON.stringify(parseYaml(text, file)));
    expect(playbook(data) ? '' : JSON.stringify(playbook.errors, null, 1), 'playbook JSON Schema').toBe('');

    const loaded = pb.plays[0]!.tasks;
    expect(loaded.length).toBe(list.length);
    for (const [i, node] of loaded.entries()) {
      const where = `task ${i + 1}`;
      expect(node.kind, where).toBe('task');
      const t = node as TaskIR;
      expect([m.name, ...(m.aliases ?? [])], `${where} names ${t.action}`).toContain(t.action);
      expect(t.module, where).toBe(m);
      const dynamic = Object.keys(t.args).filter((k) => isDynamic(t.args[k]));
      for (const k of dynamic) expect(templatesFit(argSchema(m, k), t.args[k]), `${where}: ${k} holds {{ }} where it does not take a string`).toBe(true);
      if (dynamic.length) continue;
      let problem = '';
      try {
        validateArgs(m, structuredClone(t.args));
      } catch (e) {
        problem = (e as Error).message;
      }
      expect(problem, `${where}: validateArgs`).toBe('');
    }
  });

  it('describes every argument and nested field', () => {
    const undescribed = flatDocs(argDocs(m.args, m.argAliases))
      .filter((a) => !a.description || a.description.replace(` (${ONE_LINE_NOTE})`, '').trim() === '' || a.description === ONE_LINE_NOTE)
      .map((a) => a.name);
    expect(undescribed).toEqual([]);
  });

  it('returns: only keys beyond the common ones, each with a meaning', () => {
    for (const [k, v] of Object.entries(m.returns ?? {})) {
      expect(COMMON_KEYS, k).not.toContain(k);
      expect(v.trim(), k).not.toBe('');
    }
  });
});
