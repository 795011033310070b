/** Argument schemas shared by the file modules (Ansible's "file common arguments"). */
import { Type } from '../../src/contract/index.js';

/** Octal text, symbolic text or a YAML integer (0644 → 420): both types, so Ajv never coerces one to the other. */
export const ModeArg = (description: string) => Type.Unsafe<string | number>({ type: ['string', 'integer'], description });

export const fileAttrArgs = {
  owner: Type.Optional(Type.String({ description: 'owner (name or uid); default: kept, or the connecting/become user for new files' })),
  group: Type.Optional(Type.String({ description: 'group (name or gid)' })),
  mode: Type.Optional(ModeArg("permissions: '0644', '644', 0644 (YAML octal), or symbolic 'u=rw,g=r,o=r'")),
};

/** File arguments of Ansible's that tsplay takes and ignores (ModuleDef.acceptedArgs): no SELinux contexts, no chattr. */
export const IGNORED_FILE_ARGS: Readonly<Record<string, string>> = {
  attributes: 'chattr attributes are not set',
  attr: 'chattr attributes are not set',
  selevel: 'no SELinux context is set',
  serole: 'no SELinux context is set',
  setype: 'no SELinux context is set',
  seuser: 'no SELinux context is set',
};

export const writeArgs = {
  backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  validate: Type.Optional(
    Type.String({ description: "command run on the temp file before it replaces the destination; %s is the temp file, e.g. 'visudo -cf %s'" }),
  ),
  unsafe_writes: Type.Boolean({ default: false, description: 'write in place when an atomic rename is impossible (bind-mounted files)' }),
};

/** The symlink rule of lib/files/trust.ts, as the argument docs say it. */
export const TRUSTED_LINKS_NOTE =
  "a symlink in a world-writable or sticky directory that belongs to neither root, nor that directory's owner, nor the task's user is refused (the kernel's protected_symlinks rule) unless follow is true";

/** lineinfile/blockinfile follow a symlink at path by themselves (as Ansible's do), within that rule. */
export const editFollowArg = {
  follow: Type.Optional(
    Type.Boolean({ description: `true: follow any symlink at path; false: refuse a symlink at path; default: follow it, except that ${TRUSTED_LINKS_NOTE}` }),
  ),
};
