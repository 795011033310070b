/** lineinfile: make sure a line is in a file (or replace/remove lines matching a regexp), Ansible semantics. */
import { ArgsError, Type, defineModule } from '../../../src/contract/index.js';
import { checkModeSpec } from '../../../lib/files/index.js';
import { editFollowArg, fileAttrArgs, writeArgs, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { applyEdit, checkEdit } from '../../../lib/files/edit-plan.js';
import { lineAbsent, linePresent } from './line-edit.js';

const Args = Type.Object(
  {
    path: Type.String({ description: 'the file to modify' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: ensure the line (replacing the last regexp/search_string match); absent: remove every matching line',
    }),
    line: Type.Optional(Type.String({ description: 'the line to insert/replace (with backrefs: may use \\1, \\g<name>)' })),
    regexp: Type.Optional(Type.String({ description: 'Python regexp: the last matching line is replaced (or removed with state=absent)' })),
    search_string: Type.Optional(Type.String({ description: 'literal string: the last line containing it is replaced (or removed)' })),
    insertafter: Type.Optional(Type.String({ description: 'regexp, EOF (default) or BOF: where to add the line when nothing matches' })),
    insertbefore: Type.Optional(Type.String({ description: 'regexp (last matching line) or BOF: add the line before it when nothing matches' })),
    firstmatch: Type.Boolean({ default: false, description: 'use the first match of regexp/insertafter/insertbefore instead of the last' }),
    backrefs: Type.Boolean({ default: false, description: 'expand backreferences of regexp in line; no match leaves the file unchanged' }),
    create: Type.Boolean({ default: false, description: 'create the file when it does not exist' }),
    ...fileAttrArgs,
    ...writeArgs,
    ...editFollowArg,
  },
  { additionalProperties: false },
);

export const lineinfileModule = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'lineinfile',
  aliases: ['ansible.builtin.lineinfile', 'ansible.legacy.lineinfile'],
  description: 'Ensure a particular line is in a file, or replace/remove lines matching a regexp',
  examples: `- name: no password logins on cloud nodes
  ansible.builtin.lineinfile:
    path: /etc/ssh/sshd_config
    regexp: '^#?PasswordAuthentication\\s'
    line: PasswordAuthentication no
    validate: /usr/sbin/sshd -t -f %s
  notify: restart sshd
- name: the cloud partition's nodes are not in the old include any more
  ansible.builtin.lineinfile:
    path: /etc/slurm/nodes.conf
    regexp: '^NodeName=cloud-'
    state: absent
`,
  returns: {
    found: 'state=absent: how many lines were removed',
    backup_file: 'with backup: the copy of the old file (also as backup)',
  },
  args: Args,
  argAliases: { dest: 'path', destfile: 'path', name: 'path', value: 'line', regex: 'regexp' },
  rules: {
    mutuallyExclusive: [
      ['insertbefore', 'insertafter'],
      ['regexp', 'search_string'],
      ['backrefs', 'search_string'],
    ],
  },
  validate(a) {
    if (a.state === 'present') {
      if (a.backrefs && a.regexp === undefined) throw new ArgsError('lineinfile: regexp is required with backrefs=true', '/backrefs');
      if (a.line === undefined) throw new ArgsError('lineinfile: line is required with state=present', '/line');
    } else if (a.regexp === undefined && a.search_string === undefined && a.line === undefined) {
      throw new ArgsError('lineinfile: one of line, search_string, or regexp is required with state=absent', '/state');
    }
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    if (a.regexp === '' || a.search_string === '') {
      // lineinfile.py's warning, word for word (the target asserts on it)
      const what = a.regexp === '' ? 'regular expression' : 'search string';
      const tail = a.regexp === '' ? " If this is desired, use '^' to match every line in the file and avoid this warning." : '';
      ctx.warn(
        `The ${what} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.${tail}`,
      );
    }
    return checkEdit(ctx, a, {
      missingMsg: `Destination ${a.path} does not exist !`,
      whenMissing: () => (a.state === 'absent' ? { msg: 'file not present' } : undefined),
      edit: (content) => {
        if (a.state === 'present') return linePresent(content, a);
        const r = lineAbsent(content!, a);
        return { ...r, extra: { found: r.found } };
      },
    });
  },
  apply: applyEdit,
});
