/**
 * The editor schemas (tsplay schema, src/cli/schema-build.ts): the committed copies in docs/schema are what the
 * code generates now; every real playbook and inventory of the repository validates (a schema that flags valid
 * content teaches users to ignore it); and the typos it exists for are errors at the right place.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { inventorySchema, playbookSchema, schemaText } from '../../src/cli/schema-build.js';
import { parseYaml } from '../../src/config/yaml.js';
import { ROOT } from '../harness/cli.js';

const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictRequired: false });
const playbook = ajv.compile(playbookSchema());
const inventory = ajv.compile(inventorySchema());
/** Task files (roles' tasks/ and handlers/, included files) validate against the playbook schema's task list. */
const taskList = ajv.compile({ $ref: '#/definitions/tasks', definitions: playbookSchema().definitions });

/** The data the engine sees: tsplay's YAML 1.1 loader; !vault and !unsafe values become strings. */
const load = (file: string): unknown => JSON.parse(JSON.stringify(parseYaml(readFileSync(file, 'utf8'), file)) ?? 'null');

function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

const isPlay = (x: unknown) => typeof x === 'object' && x !== null && ('hosts' in x || 'import_playbook' in x);
/**
 * What a fixture is, by its content: a list with a play in it is a playbook; another list under a tasks/ or
 * handlers/ directory is a task file. Directories named `errors` hold deliberately broken files for the loader's
 * error tests: they are left out, and so is test/fixtures/ansible-module: its tasks use Ansible modules tsplay has
 * no native module for (run through ansible-core), which the schema, made from tsplay's modules, does not know.
 */
function kindOf(file: string): 'playbook' | 'tasks' | undefined {
  if (file.split('/').includes('errors') || file.startsWith('test/fixtures/ansible-module/')) return undefined;
  const data = load(join(ROOT, file));
  if (!Array.isArray(data)) return undefined;
  if (data.some(isPlay)) return 'playbook';
  return /(^|\/)(tasks|handlers)\//.test(file) ? 'tasks' : undefined;
}

/**
 * Valid YAML that is wrong on purpose, for the engine's own warnings and run-time errors: each must fail with
 * exactly these errors (path and keyword), so nothing else wrong in it goes unnoticed.
 */
const DELIBERATE: Record<string, string[]> = {
  // `timeout: soon`: the run-time error of a keyword that is not a number
  'test/fixtures/conformance/keywords-undefined.yml': ['/0/tasks/17/timeout pattern'],
  // a group's unexpected key and a list for a group: Ansible skips both with a warning
  'test/fixtures/inventory/yaml-forms.yml': ['/db additionalProperties', '/broken type'],
};

const show = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');

function expectValid(v: ValidateFunction, file: string): void {
  const ok = v(load(join(ROOT, file)));
  // if/then/else repeat a branch's failure on the parent ("must match then schema"): that adds nothing
  const found = (v.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => `${e.instancePath} ${e.keyword}`);
  if (DELIBERATE[file]) expect(found.sort(), `${file}\n${show(v.errors)}`).toEqual([...DELIBERATE[file]!].sort());
  else expect(ok ? '' : show(v.errors), file).toBe('');
}

describe('docs/schema', () => {
  it.each(['playbook', 'inventory'] as const)('%s.schema.json is what `tsplay schema` generates', (kind) => {
    const committed = readFileSync(join(ROOT, 'docs/schema', `${kind}.schema.json`), 'utf8');
    expect(
      committed === schemaText(kind),
      `docs/schema/${kind}.schema.json is out of date: run 'node bin/tsplay.js schema --dir docs/schema' (after npm run build)`,
    ).toBe(true);
  });
});

describe('the repository validates', () => {
  const playbooks = yamlFiles('playbooks');
  const fixtures = yamlFiles('test/fixtures').map((f) => ({ f, kind: kindOf(f) }));
  const inventories = [...yamlFiles('inventory'), ...yamlFiles('test/fixtures/inventory'), ...yamlFiles('test/fixtures/vault/inventory')].filter(
    (f) => !/(^|\/)(group_vars|host_vars|errors)\//.test(f),
  );

  it('finds what it checks', () => {
    expect(playbooks.length).toBeGreaterThanOrEqual(3);
    expect(fixtures.filter((x) => x.kind === 'playbook').length).toBeGreaterThan(20);
    expect(inventories).toContain('inventory/hosts.yml');
  });
  it.each(playbooks)('%s', (f) => expectValid(playbook, f));
  it.each(fixtures.filter((x) => x.kind === 'playbook').map((x) => x.f))('%s', (f) => expectValid(playbook, f));
  it.each(fixtures.filter((x) => x.kind === 'tasks').map((x) => x.f))('%s (task file)', (f) => expectValid(taskList, f));
  it.each(inventories)('%s (inventory)', (f) => expectValid(inventory, f));
  it('every playbook under playbooks/ names the schema on its first line', () => {
    for (const f of playbooks)
      expect(readFileSync(join(ROOT, f), 'utf8').split('\n')[0], f).toBe('# yaml-language-server: $schema=../docs/schema/playbook.schema.json');
  });
});

/** The errors for a one-play playbook with these tasks. */
function errorsOf(tasks: unknown[], play: Record<string, unknown> = { hosts: 'all' }): ErrorObject[] {
  expect(playbook([{ ...play, tasks }])).toBe(false);
  return playbook.errors ?? [];
}
const at = (errors: ErrorObject[], path: string, keyword?: string) => errors.filter((e) => e.instancePath === path && (!keyword || e.keyword === keyword));

describe('mistakes are errors at the right path', () => {
  it('a misspelled module', () => {
    const e = at(errorsOf([{ name: 'x', copyy: { src: 'a', dest: '/b' } }]), '/0/tasks/0', 'additionalProperties');
    expect(e.map((x) => x.params.additionalProperty)).toEqual(['copyy']);
  });
  it('a wrong argument type', () => {
    const errors = errorsOf([{ copy: { dest: '/b', mode: [1] } }]);
    expect(at(errors, '/0/tasks/0/copy/mode', 'type').length).toBe(1);
    expect(
      errors.every((e) => e.instancePath === '/0/tasks/0/copy/mode' || e.keyword === 'if'),
      show(errors),
    ).toBe(true);
  });
  it('an unknown argument, also under an FQCN', () => {
    for (const key of ['file', 'ansible.builtin.file']) {
      const e = at(errorsOf([{ [key]: { pathh: '/x' } }]), `/0/tasks/0/${key}`, 'additionalProperties');
      expect(e.map((x) => x.params.additionalProperty)).toContain('pathh');
    }
  });
  it('a task with two modules', () => {
    const errors = errorsOf([{ copy: { dest: '/b', content: 'x' }, file: { path: '/c' } }]);
    expect(at(errors, '/0/tasks/0', 'oneOf').length).toBe(1);
  });
  it('a task without a module', () => {
    expect(at(errorsOf([{ name: 'x', when: 'y' }]), '/0/tasks/0', 'oneOf').length).toBe(1);
  });
  it('a play keyword typo', () => {
    const e = at(errorsOf([{ ping: null }], { hostss: 'all' }), '/0', 'additionalProperties');
    expect(e.map((x) => x.params.additionalProperty)).toEqual(['hostss']);
  });
  it('a typo inside a block, and a task keyword typo', () => {
    const e = at(errorsOf([{ block: [{ ping: null, whn: 'x' }] }]), '/0/tasks/0/block/0', 'additionalProperties');
    expect(e.map((x) => x.params.additionalProperty)).toEqual(['whn']);
  });
  it("the loader's error fixture of unsupported forms", () => {
    const errors = playbook(load(join(ROOT, 'test/fixtures/errors/unsupported.yml'))) ? [] : playbook.errors!;
    const found = errors.filter((e) => e.keyword !== 'if').map((e) => `${e.instancePath} ${e.keyword}`);
    expect(found).toEqual(['/0/tasks/0/with_inventory_hostnames not', '/0/tasks/1/register pattern', '/0/tasks/2/meta enum']);
  });
  it('an unknown ansible.builtin module is an error; other collections are not checked', () => {
    expect(at(errorsOf([{ 'ansible.builtin.copyy': {} }]), '/0/tasks/0', 'additionalProperties').length).toBe(1);
    expect(playbook([{ hosts: 'all', tasks: [{ 'community.general.ufw': { rule: 'allow' } }] }]), show(playbook.errors)).toBe(true);
  });
});

describe('valid forms are not errors', () => {
  const ok = (tasks: unknown[]) => expect(playbook([{ hosts: 'all', tasks }]) ? '' : show(playbook.errors)).toBe('');
  it('templates where another type is expected, Ansible booleans, numbers as strings', () =>
    ok([
      {
        file: { path: '/x', mode: '{{ m }}', state: "{{ 'directory' if d else 'absent' }}", recurse: 'yes' },
        become: 'yes',
        retries: '3',
        until: 'r is ok',
        loop: '{{ xs }}',
      },
      { copy: { dest: '/x', content: 'y', force: 0 }, when: ['a', true] },
    ]));
  it('k=v strings, free-form text, no arguments, aliases, args:', () =>
    ok([
      { copy: 'src=a dest=/b' },
      { command: 'ls -l', args: { chdir: '/tmp' } },
      { 'ansible.builtin.shell': 'echo hi' },
      { ping: null },
      { file: { dest: '/x', state: 'touch' } },
      { include_tasks: 'x.yml' },
      { import_role: { name: 'web' } },
      { meta: 'flush_handlers' },
      { action: { module: 'ping' } },
    ]));
});
