/**
 * The narrow transport interface. One Connection per host per run, reused by every task.
 * Commands run through a persistent shell on the target (one per become user), so a task costs
 * no new ssh channel and no new sudo. Nothing but sshd, sudo and a POSIX shell is needed there.
 */

export interface RunOptions {
  /** Bytes (or text) fed to the command's stdin. Binary safe. */
  stdin?: string | Buffer;
  /** Run as `becomeUser` (default root) through the host's persistent sudo shell. */
  become?: boolean;
  becomeUser?: string;
  /** Working directory for the command. */
  cwd?: string;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
  /** Kill the command after this long (coreutils `timeout` on the target; the shell survives). */
  timeoutMs?: number;
}

export interface RunResult {
  rc: number;
  stdout: string;
  stderr: string;
  /** Raw stdout bytes (for binary reads such as `get`). */
  stdoutBuf: Buffer;
}

export interface ConnectionTarget {
  /** inventory name */
  name: string;
  /** address to connect to (ansible_host) */
  host: string;
  port: number;
  user?: string;
  password?: string;
  privateKeyFile?: string;
  /** use ssh-agent ($SSH_AUTH_SOCK) when set */
  agent?: string;
  /** user known_hosts files (default ~/.ssh/known_hosts); accept-new appends to the first */
  knownHostsFiles: string[];
  /** read-only known_hosts files (default /etc/ssh/ssh_known_hosts) */
  globalKnownHostsFiles: string[];
  /** strict (default): unknown or changed keys are refused; accept-new: learn unknown keys; no: don't check */
  hostKeyChecking: 'strict' | 'accept-new' | 'no';
  connectTimeoutMs: number;
  /**
   * ServerAliveInterval: a probe (keepalive@openssh.com) goes to the host whenever nothing came from it for this
   * long. 0 (ServerAliveInterval=0, "off" in OpenSSH) means tsplay's default: probes are never off (ssh.ts).
   */
  keepaliveIntervalMs: number;
  /**
   * ServerAliveCountMax (default 3): the host is declared dead after interval × (count + 1) without one byte
   * from it, whatever it is doing, capped at 120 s (see liveness() in ssh.ts).
   */
  keepaliveCountMax?: number;
  /** sudo password (never on argv, never logged) */
  becomePassword?: string;
  /** become method: only sudo for now */
  becomeMethod: 'sudo';
  /** 'ssh' or 'local' */
  connection: 'ssh' | 'local';
}

export interface Connection {
  readonly target: ConnectionTarget;
  /** Open the transport (idempotent). Throws UnreachableError. */
  connect(): Promise<void>;
  /**
   * Run a shell command (sh -c semantics, evaluated in a subshell of the persistent shell) and collect
   * rc/stdout/stderr. A non-zero rc is a result, not an error. Throws UnreachableError (transport gone),
   * BecomeError (sudo failed: wrong/missing password, not in sudoers; tried once per run and become user),
   * TsplayError code 'connection' (the persistent shell died under the command; the next run starts a
   * new one), ModuleError (invalid env name).
   */
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** Close everything (persistent shells, transport). */
  close(): Promise<void>;
}
