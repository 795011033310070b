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
    // what Python's open() would say, as a code (slurp.py's messages are built here); base64 without line
    // breaks: coreutils' -w0, else strip them (BusyBox)
    const p = shq(a.src);
    const r = await ctx.probe(`p=${p}
if [ -d "$p" ]; then if [ -r "$p" ]; then echo EISDIR; else echo EACCES; fi; exit 2; fi
if ! [ -e "$p" ]; then
  d=$p; while d=$(dirname -- "$d"); ! [ -e "$d" ] && [ "$d" != / ] && [ "$d" != . ]; do :; done
  if ! [ -d "$d" ]; then echo ENOTDIR; elif ! [ -x "$d" ]; then echo EACCES; else echo ENOENT; fi; exit 2
fi
[ -r "$p" ] || { echo EACCES; exit 2; }
{ base64 -w0 < "$p" 2>/dev/null || base64 < "$p" | tr -d '\\n'; }`);
    if (r.rc === 2) {
      const code = r.stdout.trim();
      const msgs: Record<string, string> = {
        ENOENT: `file not found: ${a.src}`,
        EACCES: `file is not readable: ${a.src}`,
        EISDIR: `source is a directory and must be a file: ${a.src}`,
        ENOTDIR: `unable to slurp file: [Errno 20] Not a directory: '${a.src}'`,
      };
      throw new ModuleError(msgs[code] ?? `unable to slurp file: ${a.src}`);
    }
    if (r.rc !== 0) throw new ModuleError(`unable to slurp file: ${r.stderr.trim() || `rc=${r.rc}`}`);
    return ok({ content: r.stdout.trim(), encoding: 'base64', source: a.src });
  },
});
