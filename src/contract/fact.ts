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
  /**
   * Several reads as one command (read-ahead, src/facts/read-ahead.ts): merge() makes one argument of many
   * (those it can take; `first` always), split() cuts the merged answer into one per argument taken.
   */
  batch?: {
    merge(first: A, others: A[]): { args: A; taken: A[] };
    split(merged: T, taken: A[]): T[];
  };
}

export function defineFact<A = void, T = unknown>(def: FactDef<A, T>): FactDef<A, T> {
  return def;
}
