/** yum_repository (ansible.builtin.yum_repository): one [repo] section of a .repo file, as ansible-core 2.14 writes it. */
import { ArgsError, ModuleError, change, defineModule, ok, type FileDiff, type ResultData } from '../../../src/contract/index.js';
import { IGNORED_FILE_ARGS } from '../../../lib/files/args.js';
import {
  attrDiff,
  attrsCommand,
  checkModeSpec,
  fileStateFact,
  newFileAttrs,
  planAttrs,
  runSteps,
  type CurrentAttrs,
  type FileStep,
} from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { RepoParseError } from './repo-ini.js';
import { Args, CHOICES } from './yum-repository-args.js';
import { planRepoFile, type RepoArgs } from './yum-repository-plan.js';

interface Plan {
  steps: FileStep[];
}

export const yumRepository = defineModule<typeof Args, Plan>({
  name: 'yum_repository',
  aliases: ['ansible.builtin.yum_repository', 'ansible.legacy.yum_repository'],
  description: 'Add or remove a YUM/DNF repository section in a .repo file (the file ansible-core writes, byte for byte)',
  examples: `- name: Create the Azure CLI YUM repository
  yum_repository:
    name: azure-cli
    description: Azure CLI
    baseurl: https://packages.microsoft.com/yumrepos/azure-cli
    gpgkey: https://packages.microsoft.com/keys/microsoft.asc
    gpgcheck: yes
    enabled: yes
- name: the cluster's own packages, two mirrors, in the shared hpc.repo
  ansible.builtin.yum_repository:
    name: hpc-local
    file: hpc
    description: HPC local packages
    baseurl:
      - http://mirror1.cluster.example.com/hpc/el9
      - http://mirror2.cluster.example.com/hpc/el9
    gpgcheck: false
    skip_if_unavailable: true
    mode: '0644'
- name: the old repository is gone
  ansible.builtin.yum_repository:
    name: epel-testing
    file: epel
    state: absent
`,
  returns: { repo: 'the repository id (name)', state: 'present or absent' },
  args: Args,
  argAliases: { ca_cert: 'sslcacert', client_cert: 'sslclientcert', client_key: 'sslclientkey', validate_certs: 'sslverify' },
  acceptedArgs: { ...IGNORED_FILE_ARGS, unsafe_writes: 'the file is always replaced atomically', follow: 'a symlink at the .repo path is followed' },
  secretArgs: ['password', 'proxy_password'],
  validate(a) {
    if (a.params !== undefined)
      throw new ArgsError("The params option to yum_repository was removed in Ansible 2.5 since it circumvents Ansible's option handling", '/params');
    for (const [k, choices] of Object.entries(CHOICES)) {
      const v = (a as Record<string, unknown>)[k];
      if (v !== undefined && !choices.includes(String(v)))
        throw new ArgsError(`value of ${k} must be one of: ${choices.join(', ')}, got: ${String(v)}`, `/${k}`);
    }
    if (a.state === 'present') {
      if (a.baseurl === undefined && a.metalink === undefined && a.mirrorlist === undefined)
        throw new ArgsError("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.", '/baseurl');
      if (a.description === undefined) throw new ArgsError("Parameter 'description' is required.", '/description');
    }
    checkModeSpec(a.mode);
  },
  async check(ctx, a) {
    const dir = a.reposdir.replace(/\/+$/, '') || '/';
    const file = `${a.file ?? a.name}.repo`;
    const dest = dir === '/' ? `/${file}` : `${dir}/${file}`;
    const facts = await ctx.fact(fileStateFact, {
      items: [
        { path: dir, follow: true },
        { path: dest, follow: true, content: 'all' },
      ],
    });
    const [d, f] = facts.files as [(typeof facts.files)[0], (typeof facts.files)[0]];
    const dirType = d.stat?.type === 'link' ? d.target?.type : d.stat?.type;
    if (dirType !== 'directory') throw new ModuleError(`Repo directory '${a.reposdir}' does not exist.`);
    const st = f.stat?.type === 'link' ? (f.target ?? undefined) : f.stat;
    const real = f.stat?.type === 'link' ? (f.realPath ?? dest) : dest;
    if (st && st.type !== 'file') throw new ModuleError(`Problems handling file ${dest}.`);
    const result: ResultData = { repo: a.name, state: a.state };
    let decision;
    try {
      decision = planRepoFile(st ? (f.content ?? Buffer.alloc(0)).toString('utf8') : null, dest, a as unknown as RepoArgs);
    } catch (e) {
      if (e instanceof RepoParseError) throw new ModuleError(`${dest}: ${e.message}`);
      throw e;
    }
    const base: CurrentAttrs = st ? { mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, isDir: false } : newFileAttrs(facts);
    const existsAfter = decision.changed ? decision.write !== null : st !== undefined;
    const attrs = existsAfter ? planAttrs(base, { owner: a.owner, group: a.group, mode: a.mode }, facts.umask) : undefined;
    const steps: FileStep[] = [];
    if (decision.changed && decision.write === null) {
      steps.push({ kind: 'run', what: `Cannot remove empty repo file ${dest}.`, command: `rm -f ${shq(real)}` });
    } else if (decision.changed) {
      steps.push({
        kind: 'write',
        data: Buffer.from(decision.write!, 'utf8'),
        spec: {
          dest: real,
          keepAttrs: st !== undefined,
          mode: attrs?.mode ?? base.mode,
          owner: a.owner,
          group: a.group,
          backup: false,
          mkdirs: [],
          unsafeWrites: false,
        },
      });
    } else if (attrs) {
      steps.push({ kind: 'run', what: `setting attributes of ${dest}`, command: attrsCommand(real, attrs).join(' && ') });
    }
    if (!steps.length) return ok(result);
    const diff: FileDiff[] = [];
    if (decision.changed) diff.push({ before: decision.before, after: decision.after, beforeHeader: dest, afterHeader: dest });
    if (attrs && st) diff.push(attrDiff(dest, attrs.before, attrs.after));
    const summary = decision.changed
      ? decision.write === null
        ? `remove ${dest}`
        : `write [${a.name}] in ${dest}`
      : `set ${Object.keys(attrs!.after).join(', ')} of ${dest}`;
    return change(summary, { steps }, { diff, result });
  },
  async apply(ctx, _a, plan) {
    await runSteps(ctx, plan.steps);
  },
});
