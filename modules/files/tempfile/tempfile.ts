/**
 * tempfile (ansible.builtin.tempfile): a new temporary file (0600) or directory (0700), named like Python's
 * mkstemp/mkdtemp: prefix + 8 random [a-z0-9_] + suffix, in path (default $TMPDIR or /tmp). Always changed.
 */
import { ModuleError, Type, change, defineModule } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { parsePathInfo, pathInfoSnippet, withoutPathInfo } from '../../../lib/files/path-info.js';

const Args = Type.Object(
  {
    state: Type.Union([Type.Literal('file'), Type.Literal('directory')], { default: 'file', description: 'create a file or a directory' }),
    path: Type.Optional(Type.String({ description: 'the directory to create it in (default: $TMPDIR, else /tmp)' })),
    prefix: Type.String({ default: 'ansible.', description: 'the start of its name' }),
    suffix: Type.String({ default: '', description: 'the end of its name' }),
  },
  { additionalProperties: false },
);

interface Plan {
  script: string;
}

/** The script: noclobber creation (file) or mkdir (directory) are atomic, so a name is never reused. */
export function tempfileScript(a: { state: 'file' | 'directory'; path?: string; prefix: string; suffix: string }): string {
  const dir = a.path !== undefined ? shq(a.path) : '"${TMPDIR:-/tmp}"';
  const make = a.state === 'file' ? '( set -C; : > "$p" ) 2>/dev/null' : 'mkdir "$p" 2>/dev/null';
  return `d=${dir}; umask 077
[ -d "$d" ] || { echo "[Errno 2] No such file or directory: '$d'" >&2; exit 1; }
i=0
while [ $i -lt 100 ]; do
  r=$(LC_ALL=C tr -dc 'a-z0-9_' < /dev/urandom | dd bs=8 count=1 2>/dev/null)
  p="$d/"${shq(a.prefix)}"$r"${shq(a.suffix)}
  if ${make}; then printf '%s\\n' "$p"; ${pathInfoSnippet('"$p"')}; exit 0; fi
  [ -w "$d" ] || { echo "[Errno 13] Permission denied: '$p'" >&2; exit 1; }
  i=$((i + 1))
done
echo "No usable temporary file name found" >&2; exit 1`;
}

export const tempfile = defineModule<typeof Args, Plan>({
  name: 'tempfile',
  aliases: ['ansible.builtin.tempfile', 'ansible.legacy.tempfile'],
  description: 'Create a temporary file or directory (always changed; removing it is up to the play)',
  examples: `- name: a scratch directory for the image build
  ansible.builtin.tempfile:
    state: directory
    suffix: build
  register: scratch
- name: a file for the rendered config, to validate before installing it
  ansible.builtin.tempfile:
    suffix: .conf
  register: staged
`,
  returns: {
    path: 'the path created',
    state: "file or directory (Ansible's path info, as the next keys)",
    mode: 'its mode (octal text)',
    uid: 'owner uid',
    gid: 'group gid',
    owner: 'owner name',
    group: 'group name',
    size: 'size in bytes',
  },
  args: Args,
  async check(_ctx, a) {
    return change(`create a temporary ${a.state}`, { script: tempfileScript(a) });
  },
  async apply(ctx, _a, plan) {
    const r = await ctx.run(plan.script);
    if (r.rc !== 0) throw new ModuleError(r.stderr.trim() || `cannot create the temporary file (rc=${r.rc})`);
    return { path: withoutPathInfo(r.stdout).trim(), ...parsePathInfo(r.stdout) };
  },
});
