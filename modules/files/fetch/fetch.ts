/**
 * fetch (ansible.builtin.fetch): a file of the host copied to the controller, as Ansible's fetch action:
 * dest/<inventory_hostname>/<src> (or dest itself with flat), written only when the SHA-1 differs.
 * Skipped in check mode, as in Ansible.
 */
import { createHash } from 'node:crypto';
import { ModuleError, Type, change, defineModule, ok } from '../../../src/contract/index.js';
import { shq } from '../../../lib/shell/quote.js';

const Args = Type.Object(
  {
    src: Type.String({ description: 'the file on the host (a file, not a directory)' }),
    dest: Type.String({ description: 'a directory on the controller (relative: to the playbook); with flat: the file, or a directory ending in /' }),
    flat: Type.Boolean({ default: false, description: 'write dest itself instead of dest/<inventory_hostname>/<src>' }),
    fail_on_missing: Type.Boolean({ default: true, description: 'fail when src does not exist (false: report it and go on)' }),
    validate_checksum: Type.Boolean({ default: true, description: 'check that the written copy has the SHA-1 of the source' }),
  },
  { additionalProperties: false },
);

interface Plan {
  dest: string;
  data: Buffer;
  remote: string;
  validate: boolean;
  src: string;
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');
const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** os.path.normpath for absolute or relative POSIX paths */
function normpath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length && out[out.length - 1] !== '..') out.pop();
    else if (part !== '..' || !abs) out.push(part);
  }
  return (abs ? '/' : '') + out.join('/') || (abs ? '/' : '.');
}

export const fetch = defineModule<typeof Args, Plan>({
  name: 'fetch',
  aliases: ['ansible.builtin.fetch', 'ansible.legacy.fetch'],
  description: 'Fetch a file from the host to the controller (dest/<host>/<path>, or flat)',
  examples: `- name: every node's slurmd log, to compare on the controller
  ansible.builtin.fetch:
    src: /var/log/slurm/slurmd.log
    dest: collected/
- name: the head node's munge key, once
  ansible.builtin.fetch:
    src: /etc/munge/munge.key
    dest: keys/munge.key
    flat: true
`,
  returns: {
    dest: 'the file on the controller',
    file: 'the source, when nothing was written',
    checksum: "the controller copy's SHA-1",
    remote_checksum: "the source's SHA-1",
    md5sum: "the controller copy's MD5",
    remote_md5sum: 'always null (as Ansible)',
  },
  args: Args,
  checkModeSkips: true,
  async check(ctx, a) {
    // Ansible's fetch action skips check mode altogether
    if (ctx.checkMode) return ok({ skipped: true, msg: 'check mode not (yet) supported for this module' });
    const src = a.src;
    const r = await ctx.probe(`[ -e ${shq(src)} ] || { echo notfound; exit 0; }
[ -d ${shq(src)} ] && { echo isdir; exit 0; }
echo data; { base64 -w0 < ${shq(src)} 2>/dev/null || base64 < ${shq(src)} | tr -d '\\n'; }`);
    const [kind, b64] = [r.stdout.slice(0, r.stdout.indexOf('\n')), r.stdout.slice(r.stdout.indexOf('\n') + 1)];
    if (r.rc !== 0 || (kind !== 'data' && kind !== 'notfound' && kind !== 'isdir')) throw new ModuleError(r.stderr.trim() || `cannot read ${src}`);
    if (kind === 'notfound') {
      const msg = 'the remote file does not exist, not transferring, ignored';
      if (a.fail_on_missing) throw new ModuleError(msg);
      return ok({ file: src, msg });
    }
    if (kind === 'isdir') {
      if (a.fail_on_missing) throw new ModuleError('remote file is a directory, fetch cannot work on directories');
      return ok({ file: src, msg: 'remote file is a directory, fetch cannot work on directories' });
    }
    const data = Buffer.from(b64.trim(), 'base64');
    const remote = sha1(data);
    let dest: string;
    if (a.flat) {
      dest = a.dest;
      if (dest.endsWith('/')) dest += src.slice(src.lastIndexOf('/') + 1);
      else {
        // an existing directory needs the trailing slash
        const probe = await ctx.readControllerPath(dest).catch(() => 'dir' as const);
        if (probe === 'dir') throw new ModuleError('dest is an existing directory, use a trailing slash if you want to fetch src into that directory');
      }
      dest = ctx.controllerPath(dest);
    } else {
      const host = typeof ctx.vars['inventory_hostname'] === 'string' ? (ctx.vars['inventory_hostname'] as string) : ctx.host;
      dest = `${ctx.controllerPath(a.dest)}/${host}/${src}`;
    }
    dest = normpath(dest);
    const local = await ctx.readControllerPath(dest).catch(() => null);
    if (local && sha1(local) === remote) return ok({ md5sum: md5(local), file: src, dest, checksum: remote });
    return change(`fetch ${src} to ${dest}`, { dest, data, remote, validate: a.validate_checksum, src });
  },
  async apply(ctx, _a, plan) {
    await ctx.writeControllerPath(plan.dest, plan.data);
    const written = await ctx.readControllerPath(plan.dest);
    const sum = written ? sha1(written) : '';
    const result = { md5sum: written ? md5(written) : null, dest: plan.dest, remote_md5sum: null, checksum: sum, remote_checksum: plan.remote };
    if (plan.validate && sum !== plan.remote) throw new ModuleError('checksum mismatch', {});
    return result;
  },
});
