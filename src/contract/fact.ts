import type { RunResult } from '../connection/types.js';

/**
 * A fact: one small typed read of host state. `command` is a POSIX shell snippet run on the target,
 * `parse` turns its result into a typed value. Facts are cached per host per run (keyed by name + args
 * + become user) and the host's cache is dropped whenever a task on it changes something.
 */
export interface FactDef<A, T> {
  name: string;
  command(args: A): string;
  parse(result: RunResult, args: A): T;
  /** true: always read as root; false: as the login user; undefined: as the task runs */
  become?: boolean;
}

export function defineFact<A = void, T = unknown>(def: FactDef<A, T>): FactDef<A, T> {
  return def;
}
