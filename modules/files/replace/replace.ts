/** replace (ansible.builtin.replace): replace every match of a Python regexp in a file, optionally between after/before. */
import { Type, defineModule } from '../../../src/contract/index.js';
import { checkModeSpec } from '../../../lib/files/index.js';
import { fileAttrArgs, writeArgs, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { applyEdit, checkEdit } from '../../../lib/files/edit-plan.js';
import { replaceContent } from './replace-edit.js';

const Args = Type.Object(
  {
    path: Type.String({ description: 'the file to modify (a symlink is followed)' }),
    regexp: Type.String({ description: 'Python regexp, MULTILINE: every match is replaced (^ and $ match at each line)' }),
    replace: Type.String({ default: '', description: 'the replacement; may use \\1, \\g<name> backreferences (default: remove the matches)' }),
    after: Type.Optional(Type.String({ description: 'Python regexp (DOTALL): only the text after its first match is edited' })),
    before: Type.Optional(Type.String({ description: 'Python regexp (DOTALL): only the text before its match is edited' })),
    ...fileAttrArgs,
    ...writeArgs,
  },
  { additionalProperties: false },
);

export const replaceModule = defineModule({
  acceptedArgs: { ...IGNORED_FILE_ARGS, encoding: 'files are edited as bytes (UTF-8 patterns match UTF-8 text)' },
  name: 'replace',
  aliases: ['ansible.builtin.replace', 'ansible.legacy.replace'],
  description: 'Replace all instances of a pattern in a file (Python regexp, backreferences)',
  examples: `- name: the cloud nodes' NFS server is the new one
  ansible.builtin.replace:
    path: /etc/fstab
    regexp: '^oldnfs:(/\\S+)'
    replace: 'nfs01:\\1'
    backup: true
- name: only inside the [cloud] section
  ansible.builtin.replace:
    path: /etc/slurm/site.conf
    after: '\\[cloud\\]'
    before: '\\[\\w+\\]'
    regexp: 'Weight=\\d+'
    replace: 'Weight=100'
`,
  returns: { backup_file: 'with backup: the copy of the old file' },
  args: Args,
  argAliases: { dest: 'path', destfile: 'path', name: 'path' },
  validate(a) {
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    return checkEdit(
      ctx,
      { ...a, create: false },
      {
        missingMsg: `Path ${a.path} does not exist !`,
        whenMissing: () => undefined,
        edit: (content) => replaceContent(content!, a),
      },
    );
  },
  apply: applyEdit,
});
