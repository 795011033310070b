/**
 * authorized_key (ansible.posix.authorized_key): ssh public keys in a user's authorized_keys.
 *
 * Keys are matched by their base64 blob: present adds missing keys (and rewrites a key whose options or
 * comment differ), absent removes them, exclusive keeps only the listed ones. With manage_dir (default) the
 * directory is created 0700 and kept 0700 and owned by the user; the file is always 0600 and the user's
 * (sshd's StrictModes refuses group/world-writable ones). Written atomically; comments in the file are kept.
 */
import {
  ArgsError,
  ModuleError,
  Type,
  change,
  defineFact,
  defineModule,
  ok,
  type FileDiff,
  type ResultData,
  type Static,
} from '../../../src/contract/index.js';
import { OneLine } from '../../../lib/args/one-line.js';
import { attrsCommand, fileStateFact, planAttrs, type FileStep } from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { applyText, planText, readTextFile } from '../../../lib/files/text-file.js';
import { mergeKeys, parseKeysArg } from './authorized-keys-file.js';

const Args = Type.Object(
  {
    user: OneLine({ description: 'the account whose keys are managed' }),
    key: Type.String({ description: 'one or more public key lines (as in id_ed25519.pub); blank lines and # comments are skipped' }),
    state: Type.Union([Type.Literal('present'), Type.Literal('absent')], {
      default: 'present',
      description: 'present: add the keys (a key whose options or comment differ is rewritten); absent: remove them',
    }),
    path: Type.Optional(Type.String({ description: "default ~USER/.ssh/authorized_keys; ~/ means the user's home" })),
    manage_dir: Type.Boolean({ default: true, description: "create the file's directory (0700) and keep its owner/mode" }),
    exclusive: Type.Boolean({ default: false, description: 'remove every key not listed in key' }),
    key_options: Type.Optional(OneLine({ description: 'options put in front of every key, e.g. from="10.2.0.0/16",no-agent-forwarding' })),
    comment: Type.Optional(OneLine({ description: 'replace the comment of every key' })),
    follow: Type.Boolean({ default: false, description: 'when the file is a symlink, write its target (default: replace the link)' }),
  },
  { additionalProperties: false },
);
type Args = Static<typeof Args>;

interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const accountFact = defineFact<string, Account | null>({
  name: 'authorized_key.passwd',
  command: (u) => `getent passwd ${shq(u)} || :`,
  parse(r) {
    const f = r.stdout.trim().split('\n')[0]?.split(':') ?? [];
    if (f.length < 7) return null;
    return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
  },
});

function dirOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i > 0 ? p.slice(0, i) : '/';
}

export function keyfilePath(path: string | undefined, home: string): string {
  if (path === undefined) return `${home.replace(/\/+$/, '')}/.ssh/authorized_keys`;
  if (path === '~') return home;
  if (path.startsWith('~/')) return `${home.replace(/\/+$/, '')}/${path.slice(2)}`;
  return path;
}

export interface AuthKeyPlan {
  steps: FileStep[];
}

export const authorizedKey = defineModule({
  name: 'authorized_key',
  aliases: ['ansible.posix.authorized_key'],
  description: "Add or remove ssh public keys in a user's authorized_keys (0700 directory, 0600 file, owned by the user)",
  examples: `- name: the on-prem admin's key, and no other, for root on the gateway (from the cluster network only)
  ansible.posix.authorized_key:
    user: root
    key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF7u6j9mQy1Yl3Xx4b0N2sZk1x2jXrQmO3c8T0XwqYpR admin@onprem
    key_options: from="10.2.0.0/16"
    exclusive: true
`,
  returns: {
    user: 'the account',
    state: 'present or absent',
    exclusive: 'the exclusive argument',
    key_options: 'the key_options argument (null when not given)',
    keyfile: 'the authorized_keys file (when the user exists)',
  },
  args: Args,
  validate(a) {
    parseKeysArg(a.key, a.key_options, a.comment);
    if (a.path !== undefined && !a.path.startsWith('/') && !a.path.startsWith('~')) {
      throw new ArgsError(`authorized_key: path '${a.path}' must be absolute or start with ~/`, '/path');
    }
  },
  async check(ctx, a) {
    const keys = parseKeysArg(a.key, a.key_options, a.comment);
    const acct = await ctx.fact(accountFact, a.user);
    const result: ResultData = { user: a.user, state: a.state, exclusive: a.exclusive, key_options: a.key_options ?? null };
    if (!acct) {
      if (ctx.checkMode) {
        ctx.warn(`authorized_key: user ${a.user} does not exist (yet)`);
        return a.state === 'present'
          ? change(`add ${keys.length} key(s) for ${a.user} (user created by an earlier task)`, { steps: [] }, { result })
          : ok(result);
      }
      throw new ModuleError(`authorized_key: user ${a.user} does not exist`);
    }
    const path = keyfilePath(a.path, acct.home);
    const dir = dirOf(path);
    result.keyfile = path;
    const owner = String(acct.uid);
    const group = String(acct.gid);
    const f = await readTextFile(ctx, path);
    const merged = mergeKeys(f.text ?? '', { keys, state: a.state, exclusive: a.exclusive });
    const steps: FileStep[] = [];
    const diff: FileDiff[] = [];
    const what: string[] = [];

    const d = (await ctx.fact(fileStateFact, { items: [{ path: dir }] })).files[0]!;
    let mkdirs: string[] | undefined;
    if (!d.exists) {
      if (a.state === 'absent') return ok(result);
      if (!a.manage_dir) throw new ModuleError(`authorized_key: ${dir} does not exist (manage_dir is false)`);
      mkdirs = [dir];
    } else if (d.stat!.type !== 'directory') {
      throw new ModuleError(`authorized_key: ${dir} is not a directory`);
    } else if (a.manage_dir) {
      const ch = planAttrs({ ...d.stat!, isDir: true }, { owner, group, mode: '0700' }, 0o022);
      if (ch) {
        steps.push({ kind: 'run', what: `setting owner/mode of ${dir}`, command: attrsCommand(dir, ch).join(' && ') });
        what.push(`fix ${Object.keys(ch.after).join(', ')} of ${dir}`);
      }
    }
    if (a.state === 'absent' && f.text === null) return steps.length ? change(what.join(', '), { steps }, { result }) : ok(result);
    const p = planText(f, merged.content, { follow: a.follow, owner, group, mode: '0600', mkdirs, dirMode: 0o700 });
    if (p) {
      steps.push(...p.steps);
      diff.push(...p.diff);
      const counts = [merged.added && `add ${merged.added}`, merged.updated && `update ${merged.updated}`, merged.removed && `remove ${merged.removed}`].filter(
        Boolean,
      );
      what.push(counts.length ? `${counts.join(', ')} key(s) in ${path}` : p.summary);
    }
    if (!steps.length) return ok(result);
    return change<AuthKeyPlan>(what.join(', '), { steps }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    return applyText(ctx, plan.steps);
  },
});
