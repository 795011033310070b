/** blockinfile: insert/update/remove a block of lines between marker lines, byte-for-byte like Ansible. */
import { Type, defineModule } from '../../../src/contract/index.js';
import { checkModeSpec } from '../../../lib/files/index.js';
import { editFollowArg, fileAttrArgs, writeArgs, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { applyEdit, checkEdit } from '../../../lib/files/edit-plan.js';
import { editBlock } from './block-edit.js';

const Args = Type.Object(
  {
    path: Type.String({ description: 'the file to modify' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: insert or update the block; absent: remove it with its marker lines',
    }),
    block: Type.String({ default: '', description: 'the text between the markers (empty: remove the block)' }),
    marker: Type.String({ default: '# {mark} ANSIBLE MANAGED BLOCK', description: '{mark} becomes marker_begin / marker_end' }),
    marker_begin: Type.String({ default: 'BEGIN', description: 'what {mark} becomes in the first marker line' }),
    marker_end: Type.String({ default: 'END', description: 'what {mark} becomes in the last marker line' }),
    insertafter: Type.Optional(Type.String({ description: 'regexp (last matching line) or EOF (default), used when the markers are not found' })),
    insertbefore: Type.Optional(Type.String({ description: 'regexp (last matching line) or BOF' })),
    prepend_newline: Type.Boolean({ default: false, description: 'blank line before the block unless there is one' }),
    append_newline: Type.Boolean({ default: false, description: 'blank line after the block unless there is one' }),
    create: Type.Boolean({ default: false, description: 'create the file when it does not exist' }),
    ...fileAttrArgs,
    ...writeArgs,
    ...editFollowArg,
  },
  { additionalProperties: false },
);

export const blockinfileModule = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'blockinfile',
  aliases: ['ansible.builtin.blockinfile', 'ansible.legacy.blockinfile'],
  description: 'Insert, update or remove a block of lines surrounded by marker lines',
  examples: `- name: on-prem servers in /etc/hosts, so they resolve before DNS answers over the VPN
  ansible.builtin.blockinfile:
    path: /etc/hosts
    marker: "# {mark} tsplay on-prem servers"
    block: |
      10.2.0.10 slurmctl.cluster.example.com slurmctl
      10.2.0.25 mail.cluster.example.com mail
`,
  returns: {
    backup_file: 'with backup: the copy of the old file (also as backup)',
  },
  args: Args,
  argAliases: { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  rules: { mutuallyExclusive: [['insertbefore', 'insertafter']] },
  validate(a) {
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    return checkEdit(ctx, a, {
      missingMsg: `Path ${a.path} does not exist !`,
      // Ansible checks create first: state=absent on a missing file fails unless create=true
      whenMissing: () => (a.state === 'absent' && a.create ? { msg: `File ${a.path} not present` } : undefined),
      edit: (content) => editBlock(content, a),
    });
  },
  apply: applyEdit,
});
