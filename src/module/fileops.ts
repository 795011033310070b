/**
 * Shared machinery of the file modules (copy, template, file, lineinfile, blockinfile, stat):
 * one-command file-state fact, modes, owner/group, the atomic write, diffs, Python regexps, timestamps, and
 * the rule for symlinks another user could have planted (file-trust.ts).
 */
export * from './file-state.js';
export * from './file-mode.js';
export * from './file-attrs.js';
export * from './file-write.js';
export * from './file-diff.js';
export * from './file-steps.js';
export * from './file-source.js';
export * from './file-time.js';
export * from './file-pyregex.js';
export * from './file-trust.js';
