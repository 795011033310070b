/** stat: facts about a path in Ansible's `stat` shape (one command). Never changes anything. */
import { Type, defineModule, ok, type ResultData } from '../../../src/contract/index.js';
import { fileStateFact, modeBits, type FileInfo, type FileStat } from '../../../lib/files/index.js';

const Algorithms = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

const Args = Type.Object(
  {
    path: Type.String({ description: 'the path to look at' }),
    follow: Type.Boolean({ default: false, description: 'follow symlinks' }),
    get_checksum: Type.Boolean({ default: true, description: 'checksum of a readable regular file' }),
    checksum_algorithm: Type.Union(
      Algorithms.map((a) => Type.Literal(a)),
      { default: 'sha1', description: 'hash algorithm of stat.checksum (with get_checksum)' },
    ),
    get_md5: Type.Boolean({ default: false, description: 'also return stat.md5 of a regular file (one more read on the host)' }),
    get_mime: Type.Boolean({ default: false, description: 'accepted for compatibility; mimetype is not read (no file(1) on minimal hosts)' }),
    get_attributes: Type.Boolean({ default: false, description: 'accepted for compatibility; lsattr flags are not read' }),
  },
  { additionalProperties: false },
);

function statShape(path: string, st: FileStat): Record<string, unknown> {
  const m = st.mode;
  return {
    exists: true,
    path,
    mode: m.toString(8).padStart(4, '0'),
    isdir: st.type === 'directory',
    ischr: st.type === 'char',
    isblk: st.type === 'block',
    isreg: st.type === 'file',
    isfifo: st.type === 'fifo',
    islnk: st.type === 'link',
    issock: st.type === 'socket',
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    inode: st.inode,
    dev: st.dev,
    nlink: st.nlink,
    atime: st.atime,
    mtime: st.mtime,
    ctime: st.ctime,
    ...modeBits(m),
  };
}

/** The `stat` dict for a file-state reading (exported for tests). */
export function statResult(path: string, f: FileInfo, follow: boolean): Record<string, unknown> {
  const st = follow && f.stat?.type === 'link' ? f.target : f.stat;
  if (!f.exists || !st) return { exists: false };
  const out = statShape(path, st);
  if (f.access) Object.assign(out, { readable: f.access.readable, writeable: f.access.writable, executable: f.access.executable });
  if (st.type === 'link') Object.assign(out, { lnk_source: f.realPath, lnk_target: f.linkTarget });
  if (st.owner !== String(st.uid)) out.pw_name = st.owner;
  if (st.group !== String(st.gid)) out.gr_name = st.group;
  if (f.checksum !== undefined && st.type === 'file') out.checksum = f.checksum;
  return out;
}

export const statModule = defineModule({
  name: 'stat',
  aliases: ['ansible.builtin.stat', 'ansible.legacy.stat'],
  description: 'Retrieve file or file system status',
  examples: `- name: is the munge key in place, and which one?
  ansible.builtin.stat:
    path: /etc/munge/munge.key
    checksum_algorithm: sha256
  register: munge_key
- name: is the Blob container automounted yet?
  ansible.builtin.stat:
    path: /azure/nfsdata
    get_checksum: false
  register: nfsdata
`,
  returns: {
    stat: "Ansible's stat dict: exists, and for an existing path mode, isdir/isreg/islnk..., uid/gid, pw_name/gr_name, size, inode, dev, nlink, atime/mtime/ctime, the permission bits (rusr, wgrp...), readable/writeable/executable, lnk_source/lnk_target (links), checksum and md5 (regular files)",
  },
  args: Args,
  argAliases: {
    dest: 'path',
    name: 'path',
    checksum: 'checksum_algorithm',
    checksum_algo: 'checksum_algorithm',
    mime: 'get_mime',
    mime_type: 'get_mime',
    'mime-type': 'get_mime',
    attr: 'get_attributes',
    attributes: 'get_attributes',
  },
  async check(ctx, a) {
    const facts = await ctx.fact(fileStateFact, {
      items: [{ path: a.path, follow: a.follow, access: true, checksum: a.get_checksum ? a.checksum_algorithm : undefined }],
    });
    const f = facts.files[0]!;
    const stat = statResult(a.path, f, a.follow);
    if (a.get_md5 && stat.isreg) {
      const md5 = await ctx.fact(fileStateFact, { items: [{ path: a.path, follow: a.follow, checksum: 'md5' }] });
      stat.md5 = md5.files[0]!.checksum;
    }
    const result: ResultData = { stat };
    return ok(result);
  },
});
