/** set_fact: set host variables from the task's arguments (runs on the controller). */
import { ArgsError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { UnsafeString } from '../../../src/config/yaml.js';
import { ansibleSetting, settingBool } from '../../../src/config/ansible-cfg.js';

const Args = Type.Object(
  {
    cacheable: Type.Boolean({
      default: false,
      description: 'also keep the values as host facts, in the fact cache (fact_caching jsonfile: for later runs), at facts precedence there',
    }),
  },
  { additionalProperties: true },
);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// only these four words, as Ansible's set_fact converts them (not every boolean word: lib/args/booleans.ts)
const TRUE = new Set(['true', 'yes']);
const FALSE = new Set(['false', 'no']);

/**
 * The facts a set_fact task sets: every argument but `cacheable`; 'yes'/'no'/'true'/'false' strings become booleans,
 * unless jinja2_native is on (ANSIBLE_JINJA2_NATIVE / ansible.cfg), as ansible-core's set_fact action.
 */
export function factsFrom(
  args: Record<string, unknown>,
  native = settingBool(ansibleSetting('ANSIBLE_JINJA2_NATIVE', 'jinja2_native'), false),
): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === 'cacheable') continue;
    // an unsafe string is a string too (ansible-core's AnsibleUnsafeText); with jinja2_native on, strings stay strings
    const str = native ? undefined : typeof v === 'string' ? v : v instanceof UnsafeString ? v.value : undefined;
    if (str !== undefined && TRUE.has(str.toLowerCase())) facts[k] = true;
    else if (str !== undefined && FALSE.has(str.toLowerCase())) facts[k] = false;
    else facts[k] = v;
  }
  return facts;
}

export const setFact = defineModule({
  name: 'set_fact',
  aliases: ['ansible.builtin.set_fact', 'ansible.legacy.set_fact'],
  description: 'Set variables on the host for the rest of the run (any key: value arguments)',
  examples: `- name: facts the later tasks share
  ansible.builtin.set_fact:
    munge_key_path: /etc/munge/munge.key
    cloud_node: "{{ 'cloud' in group_names }}"
`,
  returns: {
    ansible_facts: 'the variables set (yes/no strings as booleans)',
  },
  args: Args,
  runsOn: 'controller',
  validate(a) {
    const keys = Object.keys(a).filter((k) => k !== 'cacheable');
    if (keys.length === 0) throw new ArgsError('set_fact: no variables given (use key: value arguments)');
    for (const k of keys) {
      // a templated name is checked once rendered (at run time)
      if (!NAME.test(k) && !k.includes('{{'))
        throw new ArgsError(`set_fact: the variable name '${k}' is not valid: use letters, digits and _, not starting with a digit`, `/${k}`);
    }
  },
  async check(_ctx, a) {
    return ok({ ansible_facts: factsFrom(a as Record<string, unknown>), ...(a.cacheable ? { _tsplay_facts_cacheable: true } : {}) });
  },
});
