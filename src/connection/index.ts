export type { Connection, ConnectionTarget, RunOptions, RunResult } from './types.js';
export { targetFromVars, type CliConnectionOptions } from './target.js';
export { ConnectionPool, createConnection } from './pool.js';
export { SshConnection } from './ssh.js';
export { LocalConnection } from './local.js';
