/**
 * template: render src on the controller (EJS, or Jinja for .j2) with the task's variables, then exactly
 * what copy does with inline content (checkPut/applyCopy): atomic write, validate, backup, owner/group/mode.
 */
import { Type, defineModule, type Static } from '../../../src/contract/index.js';
import { baseName, checkModeSpec, readControllerSource } from '../../../lib/files/index.js';
import { fileAttrArgs, writeArgs, TRUSTED_LINKS_NOTE, IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import { PUT_RETURNS, applyCopy, checkPut } from '../copy/copy.js';

const Args = Type.Object(
  {
    src: Type.String({ description: 'template on the controller (templates/ search path)' }),
    dest: Type.String({ description: "destination; ending in '/' or an existing directory means dest/basename(src)" }),
    ...fileAttrArgs,
    ...writeArgs,
    force: Type.Boolean({ default: true, description: 'false: only create dest when it does not exist' }),
    follow: Type.Boolean({
      default: false,
      description: `when dest is a link, write the file it points to; false: a link at dest is replaced, and on the way to dest ${TRUSTED_LINKS_NOTE}`,
    }),
    newline_sequence: Type.Union([Type.Literal('\n'), Type.Literal('\r\n'), Type.Literal('\r')], { default: '\n', description: 'line endings of the result' }),
  },
  { additionalProperties: false },
);
export type TemplateArgs = Static<typeof Args>;

export const templateModule = defineModule({
  acceptedArgs: IGNORED_FILE_ARGS,
  name: 'template',
  aliases: ['ansible.builtin.template', 'ansible.legacy.template'],
  description: 'Render a template on the controller and write it to the host (atomic, validate, backup, owner/group/mode)',
  examples: `- name: slurm.conf from the cluster's template
  ansible.builtin.template:
    src: slurm.conf.j2
    dest: /etc/slurm/slurm.conf
    owner: slurm
    group: slurm
    mode: "0644"
    backup: true
  notify: restart slurmd
`,
  returns: { ...PUT_RETURNS, src: 'the template on the controller' },
  args: Args,
  validate(a) {
    checkModeSpec(a.mode, '/mode', true);
  },
  async check(ctx, a) {
    let text = await ctx.renderTemplate(a.src);
    if (a.newline_sequence !== '\n') text = text.replace(/\r\n|\r|\n/g, a.newline_sequence);
    let mode: number | undefined;
    if (a.mode === 'preserve') {
      const s = await readControllerSource(ctx, a.src, 'templates');
      if (s.kind === 'file') mode = s.file.mode;
    }
    return checkPut(ctx, a.dest, { data: Buffer.from(text, 'utf8'), label: a.src, mode }, baseName(a.src), a);
  },
  apply: applyCopy,
});
