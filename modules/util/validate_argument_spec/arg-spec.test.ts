import { describe, expect, it } from 'vitest';
import { validateArgSpec, type OptionSpec } from './arg-spec.js';

/**
 * The expected messages are what ansible-core 2.14's ArgumentSpecValidator(spec).validate(params,
 * validate_role_argument_spec=True).error_messages gives for the same spec and parameters (run with
 * /usr/bin/python3 on this kind of machine; the list of valid booleans is a Python set, its order varies).
 */
const spec: Record<string, OptionSpec> = {
  name: { type: 'str', required: true },
  port: { type: 'int' },
  mode: { type: 'str', choices: ['a', 'b'] },
  flags: { type: 'list', elements: 'int' },
  enabled: { type: 'bool' },
  opts: { type: 'dict', options: { x: { type: 'int', required: true } } },
  users: { type: 'list', elements: 'dict', options: { uid: { type: 'int' } } },
};

describe("a role's argument spec (validate_argument_spec)", () => {
  it('passes what conforms, also after conversions', () => {
    expect(validateArgSpec(spec, { name: 'n' })).toEqual([]);
    expect(validateArgSpec(spec, { name: 'n', port: '22', enabled: 'yes', flags: '1,2', users: [{ uid: 3 }] })).toEqual([]);
  });
  it('missing, type, elements, boolean and choice errors in ansible-core order and wording', () => {
    expect(validateArgSpec(spec, {})).toEqual(['missing required arguments: name']);
    const errs = validateArgSpec(spec, { name: 'n', port: 'abc', mode: 'c', flags: [1, 'x'], enabled: 'maybe' });
    expect(errs.slice(0, 2)).toEqual([
      "argument 'port' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int",
      "Elements value for option 'flags' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int",
    ]);
    expect(errs[2]).toMatch(
      /^argument 'enabled' is of type <class 'str'> and we were unable to convert to bool: The value 'maybe' is not a valid boolean\. {2}Valid booleans include: /,
    );
    expect(errs[3]).toBe('value of mode must be one of: a, b, got: c');
    expect(errs).toHaveLength(4);
  });
  it('nested options (a dict, a list of dicts) and unsupported parameters', () => {
    expect(validateArgSpec(spec, { name: 'n', opts: {}, users: [{ uid: 'q' }] })).toEqual([
      'missing required arguments: x found in opts',
      "argument 'uid' is of type <class 'str'> found in 'users'. and we were unable to convert to int: <class 'str'> cannot be converted to an int",
    ]);
    expect(validateArgSpec(spec, { name: 'n', extra: 1, port: '22', enabled: 'yes', flags: '1,2' })).toEqual([
      'extra. Supported parameters include: enabled, flags, mode, name, opts, port, users.',
    ]);
  });
});
