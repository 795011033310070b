/**
 * The module contract: what every module and fact is written against. Modules import this and lib/ (what
 * modules share: shell quoting, file machinery, services, cloud CLIs) and nothing else of src/.
 */
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
export { defineModule, ok, change } from './define.js';
export type { ArgRules, ModuleDef, AnyModule, ModuleContext, CheckContext, CheckResult, CheckOk, CheckChange, FileDiff, ResultData } from './define.js';
export { defineFact } from './fact.js';
export type { FactDef } from './fact.js';
export type { RunOptions, RunResult } from '../connection/types.js';
export { TsplayError, ArgsError, ModuleError, UnreachableError, BecomeError } from '../errors.js';
