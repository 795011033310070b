/**
 * Shared machinery of the file modules (copy, template, file, lineinfile, blockinfile, stat):
 * one-command file-state fact, modes, owner/group, the atomic write, diffs, Python regexps, timestamps, and
 * the rule for symlinks another user could have planted (file-trust.ts).
 */
export * from './state.js';
export * from './mode.js';
export * from './lines.js';
export * from './attrs.js';
export * from './write.js';
export * from './diff.js';
export * from './steps.js';
export * from './source.js';
export * from './time.js';
export * from './pyregex.js';
export * from './trust.js';
