/** ini_file (community.general.ini_file): one option of one section of an INI file, byte for byte as community.general writes it. */
import { ArgsError, Type, defineModule } from '../../../src/contract/index.js';
import { checkModeSpec } from '../../../lib/files/index.js';
import { fileAttrArgs, writeArgs, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { applyEdit, checkEdit } from '../../../lib/files/edit-plan.js';
import { iniEdit } from './ini-edit.js';

const Args = Type.Object(
  {
    path: Type.String({ description: 'the INI file (created when missing unless create=false)' }),
    section: Type.Optional(Type.String({ description: 'the section ([name]); default: the options before the first section' })),
    option: Type.Optional(Type.String({ description: 'the option; without it, state=absent removes the whole section and present adds it empty' })),
    value: Type.Optional(Type.String({ description: 'its value' })),
    values: Type.Optional(Type.Array(Type.String(), { description: 'several values of the option (one line each)' })),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], { default: 'present', description: 'present or absent' }),
    exclusive: Type.Boolean({
      default: true,
      description: 'present: other lines of this option are removed; absent: every line of it goes (false: only the given values)',
    }),
    no_extra_spaces: Type.Boolean({ default: false, description: "write 'option=value' instead of 'option = value'" }),
    allow_no_value: Type.Boolean({ default: false, description: 'an option without a value (a bare line) is allowed' }),
    create: Type.Boolean({ default: true, description: 'create the file when it does not exist' }),
    ...fileAttrArgs,
    ...writeArgs,
  },
  { additionalProperties: false },
);

export const iniFile = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'ini_file',
  aliases: ['community.general.ini_file'],
  description: 'Manage an option of a section of an INI file (as community.general.ini_file)',
  examples: `- name: the cloud partition's weight
  community.general.ini_file:
    path: /etc/tsplay/site.ini
    section: cloud
    option: weight
    value: '100'
    mode: '0644'
    backup: true
`,
  returns: { path: 'the file', backup_file: 'with backup: the copy of the old file' },
  args: Args,
  argAliases: { dest: 'path' },
  rules: { mutuallyExclusive: [['value', 'values']] },
  validate(a) {
    if (a.state === 'present' && !a.allow_no_value && a.value === undefined && !a.values?.length) {
      throw new ArgsError("Parameter 'value(s)' must be defined if state=present and allow_no_value=False.", '/value');
    }
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    const values = a.value !== undefined ? [a.value] : (a.values ?? []);
    const r = await checkEdit(
      ctx,
      { ...a, follow: true },
      {
        missingMsg: `Destination ${a.path} does not exist!`,
        whenMissing: () => undefined,
        edit: (content) => ({ ...iniEdit(content, { ...a, values }), extra: { path: a.path } }),
      },
    );
    return r;
  },
  apply: applyEdit,
});
