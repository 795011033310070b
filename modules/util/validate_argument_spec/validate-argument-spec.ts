/** validate_argument_spec: check a role's arguments (or any) against an argument spec (runs on the controller). */
import { Type, defineModule, ok } from '../../../src/contract/index.js';
import { validateRoleArgs, type OptionSpec } from './arg-spec.js';

const Args = Type.Object(
  {
    argument_spec: Type.Record(Type.String(), Type.Unknown(), {
      description:
        "the options of the spec (a role's meta/argument_specs.yml entry point's `options`): name → type, required, default, choices, elements, options, aliases",
    }),
    provided_arguments: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "the arguments to check (a role's parameters); variables of the spec's names count too, these win",
    }),
    validate_args_context: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'where the spec comes from (role, name, path), for messages' }),
    ),
  },
  { additionalProperties: false },
);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const validateArgumentSpec = defineModule({
  name: 'validate_argument_spec',
  aliases: ['ansible.builtin.validate_argument_spec', 'ansible.legacy.validate_argument_spec'],
  description: "Validate arguments against an argument spec (a role's meta/argument_specs.yml runs it before the role's tasks)",
  examples: `- name: the inventory gives what the role needs
  ansible.builtin.validate_argument_spec:
    argument_spec:
      slurm_cluster_name: {type: str, required: true}
      slurm_cloud_nodes: {type: list, elements: dict}
`,
  returns: {
    argument_errors: 'on failure: the error messages',
    argument_spec_data: 'on failure: the spec checked',
    validate_args_context: 'the context given (role, name, path)',
  },
  args: Args,
  runsOn: 'controller',
  async check(ctx, a) {
    const spec = a.argument_spec as Record<string, OptionSpec>;
    // the action's get_args_from_task_vars: variables named as the spec's options, the provided arguments win
    const fromVars: Record<string, unknown> = {};
    for (const name of Object.keys(spec)) if (NAME.test(name) && ctx.condition(`${name} is defined`)) fromVars[name] = ctx.evaluate(name);
    const errors = validateRoleArgs(spec, { ...fromVars, ...(a.provided_arguments as Record<string, unknown>) });
    const context = { validate_args_context: a.validate_args_context ?? {} };
    if (errors.length)
      return ok({ failed: true, msg: `Validation of arguments failed:\n${errors.join('\n')}`, argument_spec_data: spec, argument_errors: errors, ...context });
    return ok({ changed: false, msg: 'The arg spec validation passed', ...context });
  },
});
