/**
 * Load-time errors, one broken playbook per kind (test/fixtures/errors): the loader (as --syntax-check runs it,
 * collecting every error) gives exactly these messages at exactly these file:line:col positions, and never
 * crashes. Positions point at the offending key (or value, for templates).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadPlaybook } from '../../src/config/playbook.js';
import { ModuleRegistry } from '../../src/contract/registry.js';
import { builtinModules } from '../../modules/index.js';
import { TsplayError } from '../../src/errors.js';
import { checkUndefinedVariables } from '../../src/config/static-vars.js';

const DIR = join(import.meta.dirname, '../fixtures/errors');
const registry = new ModuleRegistry(builtinModules);

/** Every error of a fixture, formatted, with the fixture directory shortened to `<dir>`. */
function errorsOf(file: string, opts: { inventoryVars?: string[] } = {}): string[] {
  const errors: TsplayError[] = [];
  try {
    const pb = loadPlaybook(join(DIR, file), { registry, errors });
    if (opts.inventoryVars) checkUndefinedVariables(pb.plays, () => opts.inventoryVars!, { registry, playbookDir: DIR, errors });
  } catch (e) {
    if (!(e instanceof TsplayError)) throw e; // anything else would be a crash
    errors.push(e);
  }
  return errors.map((e) =>
    e
      .format()
      .split(DIR + '/')
      .join(''),
  );
}

const cases: [string, string[]][] = [
  ['yaml-syntax.yml', ['yaml-syntax.yml:5:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }']],
  ['two-modules.yml', ['two-modules.yml:5:7: a task can have only one module, found: copy, file']],
  ['no-module.yml', ["no-module.yml:3:7: task 'no module' has no module (one of: command, copy, template, ...)"]],
  ['unknown-module.yml', ["unknown-module.yml:4:7: unknown module 'cpoy'\n  hint: did you mean 'copy'?"]],
  ['unknown-argument.yml', ["unknown-argument.yml:6:9: copy: unknown argument 'contnet' (did you mean 'content'?)"]],
  [
    'mistyped-argument.yml',
    [
      "mistyped-argument.yml:6:9: file: argument 'state' must be one of: absent, directory, file, hard, link, touch",
      "mistyped-argument.yml:7:9: file: argument 'recurse' must be boolean",
      "mistyped-argument.yml:9:7: file: argument 'state' must be one of: absent, directory, file, hard, link, touch",
    ],
  ],
  ['unknown-argument-templated.yml', ["unknown-argument-templated.yml:6:9: copy: unknown argument 'mdoe' (did you mean 'mode'?)"]],
  ['unknown-keyword-task.yml', ["unknown-keyword-task.yml:5:7: unknown task keyword 'whn'\n  hint: did you mean 'when'?"]],
  ['unknown-keyword-block.yml', ["unknown-keyword-block.yml:5:7: unknown block keyword 'rescue_'\n  hint: did you mean 'rescue'?"]],
  ['unknown-keyword-play.yml', ["unknown-keyword-play.yml:2:3: unknown play keyword 'taks'\n  hint: did you mean 'tasks'?"]],
  ['bad-host-pattern.yml', ["bad-host-pattern.yml:1:3: bad host pattern '~(db': Invalid host list pattern: ~(db"]],
  ['empty-host-pattern.yml', ["empty-host-pattern.yml:1:3: 'hosts' is empty: give a host pattern (all, a group, a host, web*, ...)"]],
  ['expression-syntax.yml', ["expression-syntax.yml:5:13: template error in 'when': unexpected token: }}\n  hint: in: x =="]],
  [
    'unknown-filter.yml',
    [
      "unknown-filter.yml:5:14: template error in 'debug.msg': no filter named 'upcase'\n  hint: in: {{ name | upcase }}",
      "unknown-filter.yml:8:13: template error in 'when': no test named 'defind'\n  hint: in: name is defind",
    ],
  ],
  [
    'missing-handler.yml',
    ["missing-handler.yml:4:7: notify: no handler named or listening to 'restart nginx' in this play\n  hint: did you mean 'restart ngnix'?"],
  ],
  ['missing-import.yml', [`missing-import.yml:3:7: import_tasks: cannot find 'nowhere.yml' (looked in ${DIR}, ${DIR}/tasks)`.split(DIR + '/').join('')]],
  ['missing-role.yml', [`missing-role.yml:3:7: role 'nosuchrole' not found (looked in ${DIR}/roles, ${DIR})`.split(DIR + '/').join('')]],
  [
    'unsupported.yml',
    [
      "unsupported.yml:4:7: 'with_inventory_hostnames' is not supported; use loop: (with a filter or a registered result)",
      "unsupported.yml:6:7: register: '2bad' is not a valid variable name",
      "unsupported.yml:7:7: meta: unknown action 'flush_handler'\n  hint: did you mean 'flush_handlers'?",
    ],
  ],
  ['cycle-a.yml', [`cycle-b.yml:1:3: import_playbook cycle: ${DIR}/cycle-a.yml → ${DIR}/cycle-b.yml → ${DIR}/cycle-a.yml`.split(DIR + '/').join('')]],
];

describe('one broken playbook per error kind', () => {
  for (const [file, want] of cases) {
    it(file, () => {
      expect(errorsOf(file)).toEqual(want);
    });
  }
});

describe('all errors at once', () => {
  it('a playbook with seven problems reports all seven, in file order', () => {
    expect(errorsOf('many.yml')).toEqual([
      'many.yml:7:7: a task can have only one module, found: copy, file',
      "many.yml:9:7: unknown module 'coppy'\n  hint: did you mean 'copy'?",
      "many.yml:13:9: copy: unknown argument 'contnet' (did you mean 'content'?)",
      "many.yml:16:7: unknown task keyword 'whn'\n  hint: did you mean 'when'?",
      "many.yml:19:14: template error in 'debug.msg': no filter named 'nosuchfilter'\n  hint: in: {{ foo | nosuchfilter }}",
      "many.yml:20:3: bad host pattern '~(web': Invalid host list pattern: ~(web",
      "many.yml:23:3: unknown play keyword 'taks'\n  hint: did you mean 'tasks'?",
    ]);
  });

  it('without error collection, loading stops at the first error (a run never starts on a broken playbook)', () => {
    let thrown: unknown;
    try {
      loadPlaybook(join(DIR, 'many.yml'), { registry });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TsplayError);
    expect((thrown as TsplayError).format()).toBe(`${DIR}/many.yml:7:7: a task can have only one module, found: copy, file`);
  });
});

describe('undefined variables (with the inventory known)', () => {
  const hint = (v: string) => `\n  hint: define it (vars:, -e ${v}=...), or guard it: ${v} | default(...)`;
  it('a read of a variable defined nowhere is named, at its value', () => {
    expect(errorsOf('undefined-variable.yml', { inventoryVars: [] })).toEqual([
      `undefined-variable.yml:6:14: undefined variable 'who' in 'debug.msg': it is not defined in the inventory, the play, its roles, or by any task${hint('who')}`,
    ]);
  });
  it('in a condition too', () => {
    expect(errorsOf('undefined-in-when.yml', { inventoryVars: [] })).toEqual([
      `undefined-in-when.yml:6:13: undefined variable 'ready' in 'when': it is not defined in the inventory, the play, its roles, or by any task${hint('ready')}`,
    ]);
  });
  it('an inventory variable of that name makes it defined', () => {
    expect(errorsOf('undefined-variable.yml', { inventoryVars: ['who'] })).toEqual([]);
  });
});
