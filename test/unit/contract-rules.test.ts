/**
 * Declarative argument rules (ModuleDef.rules): Ansible's semantics and messages, checked through
 * validateArgs as the engine calls it, on a module built for the test.
 */
import { describe, expect, it } from 'vitest';
import { Type, defineModule, ok } from '../../src/contract/index.js';
import { ignoredArgWarnings, validateArgs } from '../../src/contract/validate.js';
import { registry } from '../harness/modules.js';
import { ArgsError } from '../../src/errors.js';
import { Ajv } from 'ajv';
import { builtinModules } from '../../modules/index.js';

const mod = defineModule({
  name: 'ruled',
  description: 'a module with every kind of rule',
  args: Type.Object(
    {
      src: Type.Optional(Type.String()),
      content: Type.Optional(Type.String()),
      state: Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present' }),
      force: Type.Boolean({ default: false }),
      owner: Type.Optional(Type.String()),
      group: Type.Optional(Type.String()),
      key: Type.Optional(Type.String()),
      cert: Type.Optional(Type.String()),
      line: Type.Optional(Type.String()),
      regexp: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  rules: {
    mutuallyExclusive: [
      ['src', 'content'],
      ['force', 'line'],
    ],
    requiredOneOf: [['src', 'content', 'line']],
    requiredTogether: [['owner', 'group']],
    requiredIf: [
      { arg: 'state', is: 'absent', then: ['line', 'regexp'], anyOf: true },
      { arg: 'force', is: true, then: ['owner', 'group'] },
    ],
    requiredBy: { key: ['cert'] },
  },
  async check() {
    return ok();
  },
});

function error(args: Record<string, unknown>): ArgsError | undefined {
  try {
    validateArgs(mod, args);
    return undefined;
  } catch (e) {
    if (e instanceof ArgsError) return e;
    throw e;
  }
}

describe('argument rules', () => {
  it.each([
    [{ src: 'a', content: 'b' }, 'ruled: parameters are mutually exclusive: src|content', '/content'],
    [{}, 'ruled: one of the following is required: src, content, line', ''],
    [{ src: 'a', owner: 'u' }, 'ruled: parameters are required together: owner, group', '/group'],
    [{ src: 'a', state: 'absent' }, 'ruled: state is absent but any of the following are missing: line, regexp', '/line'],
    [{ src: 'a', force: true, owner: 'u' }, 'ruled: parameters are required together: owner, group', '/group'],
    [{ src: 'a', force: 'yes' }, 'ruled: force is true but all of the following are missing: owner, group', '/owner'],
    [{ src: 'a', key: 'k' }, "ruled: missing parameter(s) required by 'key': cert", '/cert'],
  ])('%j → %s', (args, message, path) => {
    const e = error(args);
    expect(e?.message).toBe(message);
    expect(e?.path).toBe(path);
  });

  it.each([
    [{ src: 'a' }],
    [{ content: 'x', owner: 'u', group: 'g' }],
    [{ line: 'x', state: 'absent' }],
    [{ src: 'a', state: 'absent', regexp: '^x' }],
    [{ src: 'a', key: 'k', cert: 'c' }],
    [{ src: 'a', force: true, owner: 'u', group: 'g' }],
  ])('%j passes', (args) => {
    expect(error(args)).toBeUndefined();
  });

  it('mutually_exclusive counts what the task gives, not schema defaults (force defaults to false)', () => {
    expect(error({ line: 'x' })).toBeUndefined();
    expect(error({ line: 'x', force: false })?.message).toBe('ruled: parameters are mutually exclusive: force|line');
  });

  it('the schema is checked first: an unknown argument is reported before any rule', () => {
    expect(error({ src: 'a', content: 'b', bogus: 1 })?.message).toMatch(/unknown argument 'bogus'/);
  });
});

describe('acceptedArgs: what ansible-core takes and tsplay ignores', () => {
  it('validates without them and names each in a warning', () => {
    const file = registry.get('ansible.builtin.file')!;
    const raw = { path: '/srv/x', state: 'directory', attributes: '+i', setype: 'var_t' };
    expect(validateArgs(file, raw)).not.toHaveProperty('attributes');
    expect(ignoredArgWarnings(file, raw)).toEqual([
      "file: argument 'attributes' is accepted for compatibility with Ansible but has no effect in tsplay: chattr attributes are not set",
      "file: argument 'setype' is accepted for compatibility with Ansible but has no effect in tsplay: no SELinux context is set",
    ]);
    expect(() => validateArgs(file, { path: '/srv/x', attribute: '+i' })).toThrow(/unknown argument 'attribute'/);
  });
});

describe('module schemas', () => {
  it("every built-in module's argument schema is a valid JSON schema (runs compile them without this check)", () => {
    const meta = new Ajv({ strict: false });
    const bad = builtinModules.filter((m) => !meta.validateSchema(m.args)).map((m) => `${m.name}: ${meta.errorsText(meta.errors)}`);
    expect(bad).toEqual([]);
    expect(builtinModules.length).toBeGreaterThan(50);
  });
});
