/**
 * getent (ansible.builtin.getent): a Unix database (passwd, group, hosts, services...) read with getent(1),
 * as ansible_facts.getent_<database>: key → the other fields (a list of them when a key repeats).
 */
import { ModuleError, Type, defineModule, ok } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';

const Args = Type.Object(
  {
    database: Type.String({ description: 'the database: passwd, shadow, group, gshadow, hosts, services, networks... (whatever getent knows)' }),
    key: Type.Optional(Type.String({ description: 'the key to look up (default: the whole database)' })),
    service: Type.Optional(Type.String({ description: 'the NSS service to ask (getent -s), e.g. files' })),
    split: Type.Optional(Type.String({ description: "the field separator (default ':' for passwd, shadow, group and gshadow, else whitespace)" })),
    fail_key: Type.Boolean({ default: true, description: 'fail when the key is not found; false: return it as null' }),
  },
  { additionalProperties: false },
);

const COLON = ['passwd', 'shadow', 'group', 'gshadow'];

/** Python's str.split(sep) / str.split() */
function pySplit(line: string, sep: string | undefined): string[] {
  return sep === undefined ? line.split(/[ \t\n\r\f\v]+/).filter((s) => s !== '') : line.split(sep);
}

export function parseGetent(out: string, split: string | undefined): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  const seen: Record<string, number> = {};
  for (const line of out.split(/\r?\n/)) {
    if (line === '') continue;
    const rec = pySplit(line, split);
    if (!rec.length) continue;
    const k = rec[0]!;
    if (seen[k]) {
      if (seen[k] === 1) tree[k] = [tree[k]];
      (tree[k] as unknown[]).push(rec.slice(1));
      seen[k]++;
    } else {
      tree[k] = rec.slice(1);
      seen[k] = 1;
    }
  }
  return tree;
}

export const getent = defineModule({
  name: 'getent',
  aliases: ['ansible.builtin.getent', 'ansible.legacy.getent'],
  description: 'Read a Unix database with getent into ansible_facts.getent_<database>',
  examples: `- name: the slurm user, as the node resolves it
  ansible.builtin.getent:
    database: passwd
    key: slurm
- name: every group (getent_group.<name>[1] is its gid)
  ansible.builtin.getent:
    database: group
`,
  returns: { 'ansible_facts.getent_<database>': 'key → list of the other fields (a list of lists when a key repeats)' },
  args: Args,
  async check(ctx, a) {
    const cmd = ['getent', shq(a.database), ...(a.key !== undefined ? [shq(a.key)] : []), ...(a.service !== undefined ? ['-s', shq(a.service)] : [])];
    const split = a.split ?? (COLON.includes(a.database) ? ':' : undefined);
    const r = await ctx.probe(`command -v getent >/dev/null 2>&1 || { echo 'Failed to find required executable "getent"' >&2; exit 127; }\n${cmd.join(' ')}`);
    const dbtree = `getent_${a.database}`;
    if (r.rc === 0) return ok({ ansible_facts: { [dbtree]: parseGetent(r.stdout, split) } });
    if (r.rc === 127) throw new ModuleError(r.stderr.trim());
    if (r.rc === 2 && !a.fail_key) {
      return ok({ ansible_facts: { [dbtree]: { [a.key ?? '']: null } }, msg: 'One or more supplied key could not be found in the database.' });
    }
    const msg =
      r.rc === 1
        ? 'Missing arguments, or database unknown.'
        : r.rc === 2
          ? 'One or more supplied key could not be found in the database.'
          : r.rc === 3
            ? 'Enumeration not supported on this database.'
            : 'Unexpected failure!';
    throw new ModuleError(msg);
  },
});
