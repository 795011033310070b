/**
 * One long-lived shell on the target (login user, or root via sudo), driven with the framed protocol of
 * shell-protocol.ts. Commands are written as soon as they are asked for and answered in order, so callers
 * are serialized by the remote loop itself.
 */
import { BecomeError, TsplayError } from '../errors.js';
import type { RunResult } from './types.js';
import { encodeRequest, LOOP_EXIT_REASONS, loopPreamble, StreamBuffer, randomToken } from './shell-protocol.js';
import { becomeFailure, type BecomeSpec } from './become.js';

/** The byte pipe to a started process: an ssh exec channel or a local child process. */
export interface ShellChannel {
  write(data: Buffer): void;
  onData(stream: 'stdout' | 'stderr', cb: (chunk: Buffer) => void): void;
  /** called once when the process/channel is gone */
  onClose(cb: (detail: string) => void): void;
  /** EOF on stdin: the loop ends by itself */
  end(): void;
  /** tear it down now */
  kill(): void;
}

export interface ShellOptions {
  /** "ops@10.1.2.3" style, for messages */
  label: string;
  host: string;
  /** use the sane root PATH (become shells) */
  sanePath: boolean;
  readyToken: string;
  /** set for a sudo shell */
  become?: BecomeSpec & { promptToken: string };
  /** how long the shell (and sudo) may take to answer */
  startTimeoutMs: number;
  /** the error to report when the channel dies (UnreachableError when the transport is gone) */
  lostError: (detail: string) => TsplayError;
  /** true when the transport under the channel is gone (then a dying sudo is not sudo's fault) */
  transportGone: () => boolean;
}

interface Pending {
  id: number;
  out?: { body: Buffer; id: number; rc: number };
  err?: { body: Buffer; id: number; rc: number };
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

export class PersistentShell {
  private readonly marker = randomToken('tsplay-');
  private readonly out = new StreamBuffer();
  private readonly err = new StreamBuffer();
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private deadError: Error | null = null;
  private closed = false;
  private closeWaiters: (() => void)[] = [];

  private constructor(
    private readonly ch: ShellChannel,
    private readonly opts: ShellOptions,
  ) {}

  get alive(): boolean {
    return this.deadError === null && !this.closed;
  }

  /** Wait for the ready token (answering one sudo prompt if there is one), then start the loop. */
  static start(ch: ShellChannel, opts: ShellOptions): Promise<PersistentShell> {
    const shell = new PersistentShell(ch, opts);
    return shell.handshake();
  }

  private handshake(): Promise<PersistentShell> {
    const { opts, ch } = this;
    const password = opts.become?.password;
    const preamble = loopPreamble(this.marker, { root: opts.sanePath });
    // without a password nothing but our loop reads stdin: send the loop at once (saves a round trip)
    if (password === undefined) ch.write(preamble);
    return new Promise<PersistentShell>((resolve, reject) => {
      let outReady = false;
      let errReady = false;
      let prompts = 0;
      let settled = false;
      let errText = '';
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.deadError = e;
        ch.kill();
        reject(e);
      };
      const timer = setTimeout(() => {
        const what = opts.become ? `sudo on ${opts.host}` : `the shell on ${opts.label}`;
        fail(opts.become ? new BecomeError(`${what} did not answer within ${opts.startTimeoutMs / 1000} s`) : opts.lostError(`${what} did not start within ${opts.startTimeoutMs / 1000} s`));
      }, opts.startTimeoutMs);
      const check = (): void => {
        if (settled || !outReady || !errReady) return;
        settled = true;
        clearTimeout(timer);
        if (password !== undefined) ch.write(preamble);
        this.listen();
        resolve(this);
      };
      ch.onData('stdout', (chunk) => {
        if (settled) return this.onData('stdout', chunk);
        this.out.push(chunk);
        if (!outReady && this.out.skipThrough(opts.readyToken)) outReady = true;
        check();
      });
      ch.onData('stderr', (chunk) => {
        if (settled) return this.onData('stderr', chunk);
        if (!errReady) errText += chunk.toString('utf8');
        this.err.push(chunk);
        if (opts.become) {
          const n = errText.split(opts.become.promptToken).length - 1;
          if (n > prompts) {
            prompts = n;
            if (password === undefined) {
              return fail(becomeFailure(opts.become, opts.host, 'no-password', errText));
            }
            if (prompts >= 2) return fail(becomeFailure(opts.become, opts.host, 'wrong-password', errText));
            ch.write(Buffer.from(password + '\n'));
          }
        }
        if (!errReady && this.err.skipThrough(opts.readyToken)) errReady = true;
        check();
      });
      ch.onClose((detail) => {
        this.closed = true;
        if (!settled) {
          if (opts.become && !opts.transportGone()) fail(becomeFailure(opts.become, opts.host, 'exited', errText, detail));
          else fail(opts.lostError(`the shell on ${opts.label} exited before it was ready (${detail})`));
        } else this.onClosed(detail);
        for (const w of this.closeWaiters.splice(0)) w();
      });
    });
  }

  private listen(): void {
    // data that arrived together with the ready tokens
    this.drain();
  }

  private onData(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    (stream === 'stdout' ? this.out : this.err).push(chunk);
    this.drain();
  }

  private drain(): void {
    for (;;) {
      const p = this.pending[0];
      if (!p) return;
      p.out ??= this.out.takeFrame(this.marker) ?? undefined;
      p.err ??= this.err.takeFrame(this.marker) ?? undefined;
      if (!p.out || !p.err) return;
      this.pending.shift();
      if (p.out.id !== p.id || p.err.id !== p.id) {
        const e = new TsplayError('connection', `protocol error on ${this.opts.label}: answer ${p.out.id}/${p.err.id} for command ${p.id}`);
        this.deadError = e;
        p.reject(e);
        this.failAll(e);
        this.ch.kill();
        return;
      }
      p.resolve({
        rc: p.out.rc,
        stdout: p.out.body.toString('utf8'),
        stderr: p.err.body.toString('utf8'),
        stdoutBuf: p.out.body,
      });
    }
  }

  private onClosed(detail: string): void {
    this.ch.kill();
    if (this.deadError) return this.failAll(this.deadError);
    const busy = this.pending.length > 0;
    const status = /^exit status (\d+)$/.exec(detail);
    const reason = status ? LOOP_EXIT_REASONS[Number(status[1])] : undefined;
    if (reason) detail = `${detail}: ${reason}`;
    const e = this.opts.lostError(
      busy ? `the shell on ${this.opts.label} exited while running a command (${detail})` : `the shell on ${this.opts.label} exited (${detail})`,
    );
    this.deadError = e;
    this.failAll(e);
  }

  private failAll(e: Error): void {
    for (const p of this.pending.splice(0)) p.reject(e);
  }

  /** Run a script (already including cd/env) with optional stdin. */
  run(script: string, stdin?: string | Buffer): Promise<RunResult> {
    if (this.deadError) return Promise.reject(this.deadError);
    if (this.closed) return Promise.reject(this.opts.lostError(`the shell on ${this.opts.label} is closed`));
    const id = this.nextId++;
    const req = encodeRequest(id, script, stdin);
    return new Promise<RunResult>((resolve, reject) => {
      this.pending.push({ id, resolve, reject });
      this.ch.write(req);
    });
  }

  /** End the loop (EOF), wait briefly for the process to go, then kill it. */
  close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.ch.kill();
        resolve();
      }, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
      this.deadError ??= new TsplayError('connection', `the shell on ${this.opts.label} was closed`);
      this.ch.end();
    });
  }
}
