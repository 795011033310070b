/**
 * ConnectionTarget from a host's (already merged and templated) variables, Ansible names:
 * ansible_host, ansible_port, ansible_user, ansible_password, ansible_ssh_private_key_file,
 * ansible_become_password, ansible_become_method (sudo), ansible_connection (ssh|local),
 * ansible_ssh_timeout, ansible_host_key_checking, and ansible_ssh_common_args / ansible_ssh_extra_args (-o ...).
 *
 * Precedence as in Ansible: host variables > command line (-u, --private-key, -K, --timeout) > ssh args > defaults.
 * --host-key-checking is the exception: given on the command line, it wins over the inventory.
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { TsplayError } from '../errors.js';
import { registerSecret } from '../output/mask.js';
import { parseSshArgs } from './ssh-args.js';
import type { ConnectionTarget } from './types.js';
import { boolWord } from '../../lib/args/booleans.js';

export interface CliConnectionOptions {
  /** -u / --user */
  user?: string;
  /** --private-key */
  privateKeyFile?: string;
  /** --host-key-checking */
  hostKeyChecking?: ConnectionTarget['hostKeyChecking'];
  /** -K / --ask-become-pass (already prompted) */
  becomePassword?: string;
  /** -T / --timeout, seconds */
  timeoutSec?: number;
  /** -c / --connection: for hosts whose variables name none (ansible_connection wins, as in Ansible) */
  connection?: string;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** ServerAliveInterval/CountMax defaults: a silent host is dead after 3 s × (3 + 1) = 12 s (see liveness() in ssh.ts). */
export const DEFAULT_KEEPALIVE_MS = 3_000;
export const DEFAULT_KEEPALIVE_COUNT_MAX = 3;

function str(vars: Record<string, unknown>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = vars[n];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'object' && 'ciphertext' in v) {
      throw new TsplayError('inventory', `${n}: vault-encrypted value was not decrypted (give --vault-password-file or --ask-vault-pass)`);
    }
    return String(v);
  }
  return undefined;
}

function num(name: string, v: string | undefined, host: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new TsplayError('inventory', `${host}: ${name} must be a number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return boolWord(v);
}

function currentUser(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

export function targetFromVars(name: string, vars: Record<string, unknown>, cli: CliConnectionOptions = {}): ConnectionTarget {
  const home = homedir();
  const expand = (p: string): string => (p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p);
  const sshArgs = [str(vars, 'ansible_ssh_common_args'), str(vars, 'ansible_ssh_extra_args')].filter(Boolean).join(' ');
  const args = parseSshArgs(sshArgs, home);

  const connVar = str(vars, 'ansible_connection') ?? cli.connection;
  let connection: ConnectionTarget['connection'];
  if (connVar === undefined) connection = name === 'localhost' ? 'local' : 'ssh';
  else if (connVar === 'local') connection = 'local';
  else if (['ssh', 'smart', 'paramiko', 'paramiko_ssh', 'ansible.builtin.ssh', 'ansible.builtin.local'].includes(connVar)) {
    connection = connVar.endsWith('local') ? 'local' : 'ssh';
  } else throw new TsplayError('inventory', `${name}: ansible_connection "${connVar}" is not supported (ssh or local)`);

  const becomeMethod = str(vars, 'ansible_become_method') ?? 'sudo';
  if (becomeMethod !== 'sudo' && becomeMethod !== 'ansible.builtin.sudo') {
    throw new TsplayError('inventory', `${name}: ansible_become_method "${becomeMethod}" is not supported (only sudo)`);
  }

  const password = str(vars, 'ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password');
  const becomePassword = str(vars, 'ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass') ?? cli.becomePassword;
  registerSecret(password);
  registerSecret(becomePassword);

  const keyFile = str(vars, 'ansible_ssh_private_key_file', 'ansible_private_key_file') ?? cli.privateKeyFile ?? args.privateKeyFile;
  const timeoutSec = num('ansible_ssh_timeout', str(vars, 'ansible_ssh_timeout', 'ansible_timeout'), name) ?? cli.timeoutSec;
  const varChecking = bool(str(vars, 'ansible_host_key_checking', 'ansible_ssh_host_key_checking'));

  return {
    name,
    host: str(vars, 'ansible_host', 'ansible_ssh_host') ?? name,
    port: num('ansible_port', str(vars, 'ansible_port', 'ansible_ssh_port'), name) ?? args.port ?? 22,
    user: str(vars, 'ansible_user', 'ansible_ssh_user') ?? cli.user ?? args.user ?? currentUser(),
    password,
    privateKeyFile: keyFile === undefined ? undefined : expand(keyFile),
    agent: process.env.SSH_AUTH_SOCK || undefined,
    knownHostsFiles: args.knownHostsFiles ?? [join(home, '.ssh', 'known_hosts')],
    globalKnownHostsFiles: args.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts'],
    // ansible_host_key_checking: false = no checking; true = OpenSSH's settings (strict unless the ssh args say otherwise)
    hostKeyChecking: cli.hostKeyChecking ?? (varChecking === false ? 'no' : undefined) ?? args.hostKeyChecking ?? 'strict',
    connectTimeoutMs: timeoutSec !== undefined ? timeoutSec * 1000 : (args.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    // ServerAliveInterval=0 turns OpenSSH's probes off; tsplay never goes without them (a dead host would hang the run)
    keepaliveIntervalMs: args.keepaliveIntervalMs || DEFAULT_KEEPALIVE_MS,
    keepaliveCountMax: args.keepaliveCountMax ?? DEFAULT_KEEPALIVE_COUNT_MAX,
    becomePassword,
    becomeMethod: 'sudo',
    connection,
  };
}
