/**
 * The local connection (localhost, delegate_to: localhost): the same persistent-shell protocol over a
 * child process (`/bin/sh`, or `sudo ... /bin/sh` for become when tsplay is not already that user).
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { TsplayError } from '../errors.js';
import type { ShellChannel } from './persistent-shell.js';
import { ShellSet } from './shells.js';
import type { Connection, ConnectionTarget, RunOptions, RunResult } from './types.js';

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** After the shell exits, output still in flight gets this long to arrive. */
const EXIT_GRACE_MS = 250;

/**
 * Node gives a child socketpairs, not pipes, and /proc/PID/fd cannot reopen a socket: wrap the command so its
 * stdin, stdout and stderr are pipes (relayed by cat), as sshd gives them.
 */
function pipedCommand(command: string): string {
  return `{ cat | { ${command}; } 2>&1 1>&3 3>&- | cat 1>&2 3>&-; } 3>&1 | cat`;
}

/** A local `/bin/sh -c command` as a shell channel (exported for the protocol tests). */
export function spawnChannel(command: string): ShellChannel {
  // a session of its own (setsid): the shell's watchdog ends its session, which must never be tsplay's own
  const p = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  p.stdin.on('error', () => undefined); // EPIPE when the shell is gone: reported through 'close'
  let spawnError = '';
  p.on('error', (e) => {
    spawnError = e.message;
  });
  return {
    write: (d) => void p.stdin.write(d),
    onData: (stream, cb) => void (stream === 'stdout' ? p.stdout : p.stderr).on('data', cb),
    onClose: (cb) => {
      let done = false;
      const fire = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (!done) {
          done = true;
          cb(spawnError || (signal ? `killed by signal ${signal}` : `exit status ${code}`));
        }
      };
      p.on('close', fire);
      // a background process may keep the pipes open: don't wait for its end
      p.on('exit', (code, signal) => void setTimeout(() => fire(code, signal), EXIT_GRACE_MS).unref());
    },
    end: () => void p.stdin.end(),
    kill: () => {
      p.kill('SIGTERM');
      p.stdout.destroy();
      p.stderr.destroy();
    },
  };
}

export class LocalConnection implements Connection {
  private readonly shells: ShellSet;

  constructor(readonly target: ConnectionTarget) {
    const me = localUser();
    this.shells = new ShellSet({
      host: target.name,
      loginUser: me,
      becomePassword: target.becomePassword,
      startTimeoutMs: Math.max(2 * target.connectTimeoutMs, 20_000),
      open: async (cmd, o) => spawnChannel(o?.pipes ? pipedCommand(cmd) : cmd),
      lostError: (d) => new TsplayError('connection', d),
      transportGone: () => false,
    });
  }

  async connect(): Promise<void> {}

  run(command: string, opts?: RunOptions): Promise<RunResult> {
    return this.shells.run(command, opts);
  }

  close(): Promise<void> {
    return this.shells.closeAll();
  }
}
