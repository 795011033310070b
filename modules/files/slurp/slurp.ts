/**
 * slurp (ansible.builtin.slurp): a file of the host, base64-encoded, in the result (for `b64decode`).
 * Read-only; runs in check mode too.
 */
import { ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';

const Args = Type.Object(
  {
    src: Type.String({ description: 'the file on the host to read' }),
  },
  { additionalProperties: false },
);

export const slurp = defineModule({
  name: 'slurp',
  aliases: ['ansible.builtin.slurp', 'ansible.legacy.slurp'],
  description: 'Read a file of the host into the result, base64-encoded',
  examples: `- name: the node's munge key, to compare with the site's
  ansible.builtin.slurp:
    src: /etc/munge/munge.key
  register: key
  no_log: true
`,
  returns: { content: 'the file, base64-encoded', encoding: "'base64'", source: 'the path read' },
  args: Args,
  argAliases: { path: 'src' },
  async check(ctx, a) {
    // base64 without line breaks: coreutils' -w0, else strip them (BusyBox)
    const r =
      await ctx.probe(`[ -f ${shq(a.src)} ] || { [ -e ${shq(a.src)} ] && echo "source is a directory" >&2 || echo "file not found: ${a.src.replace(/["$`\\]/g, '')}" >&2; exit 2; }
{ base64 -w0 < ${shq(a.src)} 2>/dev/null || base64 < ${shq(a.src)} | tr -d '\\n'; }`);
    if (r.rc !== 0) throw new ModuleError(r.stderr.trim() || `cannot read ${a.src} (rc=${r.rc})`);
    return ok({ content: r.stdout.trim(), encoding: 'base64', source: a.src });
  },
});
