/**
 * The public API for modules. Files under modules/ import only from here.
 */
export { Type } from '@sinclair/typebox';
export type { Static, TSchema } from '@sinclair/typebox';
export { defineModule, ok, change } from './module/define.js';
export type { ModuleDef, AnyModule, ModuleContext, CheckResult, CheckOk, CheckChange, FileDiff, ResultData } from './module/define.js';
export { defineFact } from './facts/fact.js';
export type { FactDef } from './facts/fact.js';
export type { RunOptions, RunResult } from './connection/types.js';
export { TsplayError, ArgsError, ModuleError, UnreachableError, BecomeError } from './errors.js';
export { shq, shJoin } from './util/shell.js';
export { shSplit } from './module/sys-shlex.js';
export { writeFileCommand } from './module/sys-write.js';
export type { WriteFileOpts } from './module/sys-write.js';
export { serviceStateFact, initSystemFact, serviceStateScript, parseServiceState, serviceActionCommand, serviceEnableCommand } from './module/sys-service.js';
export type { ServiceState, ServiceAction, InitSystem } from './module/sys-service.js';
export * from './module/fileops.js';
export { OneLine, ONE_LINE_PATTERN, controlCharIn } from './module/one-line.js';
export * from './module/gw.js';
export { CloudCli, cliCommandLine, classifyCliError, subcommand } from './module/cloud-cli.js';
export type { CliCall, CloudCliOptions, CloudCliName, CliErrorKind, CliFailure, AzAccount } from './module/cloud-cli.js';
export { pollUntil, sleep } from './module/cloud-wait.js';
export type { PollOptions } from './module/cloud-wait.js';
export { loadYamlFile } from './config/yaml.js';
