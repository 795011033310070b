/** Argument schemas shared by the file modules (Ansible's "file common arguments"). */
import { Type } from '../../src/index.js';

/** Octal text, symbolic text or a YAML integer (0644 → 420): both types, so Ajv never coerces one to the other. */
export const ModeArg = (description: string) => Type.Unsafe<string | number>({ type: ['string', 'integer'], description });

export const fileAttrArgs = {
  owner: Type.Optional(Type.String({ description: 'owner (name or uid); default: kept, or the connecting/become user for new files' })),
  group: Type.Optional(Type.String({ description: 'group (name or gid)' })),
  mode: Type.Optional(ModeArg("permissions: '0644', '644', 0644 (YAML octal), or symbolic 'u=rw,g=r,o=r'")),
};

export const writeArgs = {
  backup: Type.Boolean({ default: false, description: 'keep a timestamped copy of the old file (returned as backup_file)' }),
  validate: Type.Optional(Type.String({ description: "command run on the temp file before it replaces the destination; %s is the temp file, e.g. 'visudo -cf %s'" })),
  unsafe_writes: Type.Boolean({ default: false, description: 'write in place when an atomic rename is impossible (bind-mounted files)' }),
};
