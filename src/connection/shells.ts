/**
 * The persistent shells of one host: one for the login user, and one per become user (started once with
 * sudo). Shared by the ssh and the local connection; they differ only in how a channel is opened.
 */
import { BecomeError, ModuleError, type TsplayError } from '../errors.js';
import { becomeCommand } from './become.js';
import { PersistentShell, type ShellChannel } from './persistent-shell.js';
import { bootstrapCommand, buildScript, randomToken } from './shell-protocol.js';
import type { RunOptions, RunResult } from './types.js';
import { shq } from '../../lib/shell/quote.js';

export interface ShellHost {
  host: string;
  loginUser: string;
  becomePassword?: string;
  startTimeoutMs: number;
  /**
   * Start a process running `command` (a POSIX sh command line). `pty`: on a terminal (sudo requiretty);
   * `pipes`: its stdin/stdout/stderr must be pipes another process can open through /proc (the data holder).
   */
  open(command: string, opts?: { pty?: boolean; pipes?: boolean }): Promise<ShellChannel>;
  lostError(detail: string): TsplayError;
  /** true when the transport is gone */
  transportGone(): boolean;
}

export class ShellSet {
  private user?: Promise<PersistentShell>;
  private readonly become = new Map<string, Promise<PersistentShell>>();

  constructor(private readonly h: ShellHost) {}

  async run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    let script: string;
    try {
      script = buildScript(command, opts);
    } catch (e) {
      throw new ModuleError((e as Error).message);
    }
    const secs = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? Math.max(1, Math.ceil(opts.timeoutMs / 1000)) : undefined;
    // a time limit runs the script under coreutils timeout (TERM, then KILL 5 s later): the shell itself survives
    if (secs !== undefined) script = `timeout -k 5 ${secs} /bin/sh -c ${shq(script)}`;
    const becomeUser = opts.become ? (opts.becomeUser ?? 'root') : undefined;
    const shell = await this.shell(becomeUser);
    const r = await shell.run(script, opts.stdin);
    if (secs !== undefined && (r.rc === 124 || r.rc === 137)) {
      throw new ModuleError(`the command timed out after ${secs} s on ${this.h.host} (timeout)`, { rc: r.rc, stdout: r.stdout, stderr: r.stderr });
    }
    return r;
  }

  private shell(becomeUser: string | undefined): Promise<PersistentShell> {
    if (becomeUser === undefined || becomeUser === this.h.loginUser) {
      this.user = this.fresh(this.user, () => this.start(undefined));
      return this.user;
    }
    const cur = this.become.get(becomeUser);
    const next = this.fresh(cur, () => this.start(becomeUser));
    this.become.set(becomeUser, next);
    return next;
  }

  /**
   * Reuse a started (or starting) shell; start a new one only when the old one died after it was ready.
   * A shell that failed to start stays failed (a wrong sudo password is tried exactly once per run).
   */
  private fresh(cur: Promise<PersistentShell> | undefined, start: () => Promise<PersistentShell>): Promise<PersistentShell> {
    if (!cur) return start();
    return cur.then((s) => (s.alive ? s : start()));
  }

  private async start(becomeUser: string | undefined): Promise<PersistentShell> {
    const readyToken = randomToken('tsplay-ready-');
    const label = `${this.h.loginUser}@${this.h.host}`;
    const common = {
      host: this.h.host,
      readyToken,
      startTimeoutMs: this.h.startTimeoutMs,
      lostError: (d: string) => this.h.lostError(d),
      transportGone: () => this.h.transportGone(),
      // the data channel is a process of the login user; a non-root become user could not adopt its pipes
      openData: becomeUser === undefined || becomeUser === 'root' ? (cmd: string) => this.h.open(cmd, { pipes: true }) : undefined,
    };
    if (becomeUser === undefined) {
      const ch = await this.h.open(bootstrapCommand(readyToken));
      return PersistentShell.start(ch, { ...common, label, sanePath: this.h.loginUser === 'root' });
    }
    const spec = { user: becomeUser, loginUser: this.h.loginUser, password: this.h.becomePassword };
    const promptToken = randomToken('[tsplay-sudo-') + ']';
    const startSudo = async (pty: boolean): Promise<PersistentShell> => {
      const ch = await this.h.open(becomeCommand(spec, readyToken, promptToken), pty ? { pty } : undefined);
      return PersistentShell.start(ch, {
        ...common,
        label: `${becomeUser}@${this.h.host} (sudo)`,
        sanePath: true,
        become: { ...spec, promptToken },
        pty,
      });
    };
    try {
      return await startSudo(false);
    } catch (e) {
      // `Defaults requiretty`: start sudo again on a terminal, as Ansible does with ssh -tt
      if (e instanceof BecomeError && e.needsTty) return startSudo(true);
      throw e;
    }
  }

  /** Close the become shells only (the login shell and the transport stay). */
  async closeBecome(): Promise<void> {
    const all = [...this.become.values()];
    this.become.clear();
    await closeShells(all);
  }

  async closeAll(): Promise<void> {
    const all = [this.user, ...this.become.values()].filter((p): p is Promise<PersistentShell> => p !== undefined);
    this.user = undefined;
    this.become.clear();
    await closeShells(all);
  }
}

/** Close shells that may still be starting (a shell that failed to start has nothing to close). */
async function closeShells(all: Promise<PersistentShell>[]): Promise<void> {
  await Promise.all(
    all.map((p) =>
      p.then(
        (s) => s.close(),
        () => undefined,
      ),
    ),
  );
}
