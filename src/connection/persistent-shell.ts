/**
 * One long-lived shell on the target (login user, or root via sudo), driven with the framed protocol of
 * shell-protocol.ts: the control channel (the shell itself, maybe under sudo) and, when the target allows it,
 * a data channel whose pipes the shell adopts, so commands and their input and output never pass sudo.
 * Commands are written as soon as they are asked for and answered in order, so callers are serialized by
 * the remote loop itself.
 */
import { BecomeError, TsplayError } from '../errors.js';
import type { RunResult } from './types.js';
import {
  controlAnswers,
  controlLine,
  dataHolderCommand,
  encodeRequest,
  HEARTBEAT_MS,
  LOOP_EXIT_REASONS,
  loopCode,
  StreamBuffer,
  randomToken,
} from './shell-protocol.js';
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
  /** start a login-user process running `command` for the data channel; absent: everything in band */
  openData?: (command: string) => Promise<ShellChannel>;
  /** the control channel is a terminal (sudo requiretty): stderr arrives merged into stdout */
  pty?: boolean;
}

interface Pending {
  id: number;
  out?: { body: Buffer; id: number; rc: number };
  err?: { body: Buffer; id: number; rc: number };
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
}

/** "<token> <pid>" at the start of a line: the pid, once the whole line arrived. */
function tokenPid(buf: StreamBuffer, token: string): number | null {
  const m = new RegExp(`${token} (\\d+)\\r?\\n`).exec(buf.text());
  return m ? Number(m[1]) : null;
}

export class PersistentShell {
  private readonly marker = randomToken('tsplay-');
  private out = new StreamBuffer();
  private err = new StreamBuffer();
  private readonly pending: Pending[] = [];
  private nextId = 1;
  private deadError: Error | null = null;
  private closed = false;
  private closeWaiters: (() => void)[] = [];
  /** the channel commands are written to and answered on (the data channel, or ctl in band) */
  private io: ShellChannel;
  private data?: ShellChannel;
  private heartbeat?: NodeJS.Timeout;
  /** true once the loop runs: from then on output is framed */
  private running = false;

  private constructor(
    private readonly ch: ShellChannel,
    private readonly opts: ShellOptions,
  ) {
    this.io = ch;
  }

  get alive(): boolean {
    return this.deadError === null && !this.closed;
  }

  /** true when commands travel on a channel of their own (not through sudo's stdin) */
  get ownChannel(): boolean {
    return this.io !== this.ch;
  }

  /** Wait for the ready token (answering one sudo prompt if there is one), adopt the data channel, start the loop. */
  static start(ch: ShellChannel, opts: ShellOptions): Promise<PersistentShell> {
    const shell = new PersistentShell(ch, opts);
    return shell.handshake();
  }

  private handshake(): Promise<PersistentShell> {
    const { opts, ch } = this;
    const password = opts.become?.password;
    const pty = opts.pty === true;
    return new Promise<PersistentShell>((resolve, reject) => {
      let shellPid: number | null = null;
      let errReady = pty;
      let prompts = 0;
      let settled = false;
      let phase: 'ready' | 'data' | 'answer' = 'ready';
      let ctlText = '';
      let errText = '';
      const answer = randomToken('');
      const answers = controlAnswers(answer);
      const loop = loopCode(this.marker, { root: opts.sanePath });
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.deadError = e;
        ch.kill();
        this.data?.kill();
        reject(e);
      };
      const timer = setTimeout(() => {
        const what = opts.become ? `sudo on ${opts.host}` : `the shell on ${opts.label}`;
        fail(
          opts.become
            ? new BecomeError(`${what} did not answer within ${opts.startTimeoutMs / 1000} s`)
            : opts.lostError(`${what} did not start within ${opts.startTimeoutMs / 1000} s`),
        );
      }, opts.startTimeoutMs);

      const started = (own: boolean): void => {
        settled = true;
        clearTimeout(timer);
        if (own) {
          this.io = this.data!;
          this.out = new StreamBuffer();
          this.err = new StreamBuffer();
          this.heartbeat = setInterval(() => this.ch.write(Buffer.from('\n')), HEARTBEAT_MS);
          this.heartbeat.unref();
        } else {
          this.data?.kill();
          this.data = undefined;
          // in band: frames come on the control channel, after the answer line
          this.out.skipThrough(answers.inband);
        }
        this.running = true;
        this.io.write(loop);
        this.drain();
        resolve(this);
      };

      const sendControl = (dataPid: number | undefined): void => {
        phase = 'answer';
        ch.write(Buffer.from(controlLine(dataPid, answer, loop.length, { pty })));
      };

      const openData = async (pid: number): Promise<void> => {
        phase = 'data';
        if (!opts.openData) return sendControl(undefined);
        const token = randomToken('tsplay-data-');
        let dch: ShellChannel;
        try {
          dch = await opts.openData(dataHolderCommand(token, pid));
        } catch {
          return sendControl(undefined);
        }
        if (settled) return dch.kill();
        this.data = dch;
        const dout = new StreamBuffer();
        let dataPid: number | null = null;
        dch.onData('stdout', (chunk) => {
          if (this.running && this.io === dch) return this.onData('stdout', chunk);
          if (dataPid !== null) return; // between the token and the loop: nothing of ours (frames start with the loop)
          dout.push(chunk);
          dataPid = tokenPid(dout, token);
          if (dataPid !== null && !settled) sendControl(dataPid);
        });
        dch.onData('stderr', (chunk) => {
          if (this.running && this.io === dch) this.onData('stderr', chunk);
          // before the loop runs: rc-file noise of the login shell, dropped
        });
        dch.onClose((detail) => {
          if (this.io === dch && this.running) this.onChannelGone(detail);
          else if (phase === 'data' && !settled) sendControl(undefined);
        });
      };

      const checkReady = (): void => {
        if (phase !== 'ready' || settled || shellPid === null || !errReady) return;
        void openData(shellPid);
      };

      const checkAnswer = (): void => {
        if (phase !== 'answer' || settled) return;
        if (ctlText.includes(answers.data)) return started(true);
        if (ctlText.includes(answers.inband)) {
          if (pty)
            return fail(
              new BecomeError(
                `sudo on ${opts.host} needs a terminal, and the shell cannot open a channel of its own (/proc/PID/fd refused): cannot run commands safely over a terminal`,
              ),
            );
          return started(false);
        }
      };

      const onPrompt = (text: string): boolean => {
        if (!opts.become) return false;
        const n = text.split(opts.become.promptToken).length - 1;
        if (n <= prompts) return false;
        prompts = n;
        if (password === undefined) {
          fail(becomeFailure(opts.become, opts.host, 'no-password', text));
          return true;
        }
        if (prompts >= 2) {
          fail(becomeFailure(opts.become, opts.host, 'wrong-password', text));
          return true;
        }
        ch.write(Buffer.from(password + (pty ? '\r' : '\n')));
        return false;
      };

      ch.onData('stdout', (chunk) => {
        if (this.running) {
          if (this.io === ch) this.onData('stdout', chunk);
          return; // data mode: heartbeat echoes and the like
        }
        this.out.push(chunk);
        ctlText += chunk.toString('latin1');
        if (ctlText.length > 65536) ctlText = ctlText.slice(-8192);
        if (pty && phase === 'ready' && onPrompt(ctlText)) return;
        if (phase === 'ready' && shellPid === null) {
          shellPid = tokenPid(this.out, opts.readyToken);
          if (shellPid !== null) {
            if (!pty) this.out.skipThrough(`${opts.readyToken} ${shellPid}`);
            ctlText = pty ? '' : this.out.text();
          }
        }
        checkReady();
        checkAnswer();
      });
      ch.onData('stderr', (chunk) => {
        if (this.running) {
          if (this.io === ch) this.onData('stderr', chunk);
          return;
        }
        if (!errReady) errText += chunk.toString('utf8');
        this.err.push(chunk);
        if (!pty && !errReady && onPrompt(errText)) return;
        if (!errReady && tokenPid(this.err, opts.readyToken) !== null) {
          errReady = true;
          this.err.skipThrough(`${opts.readyToken} ${tokenPid(this.err, opts.readyToken)}`);
        }
        checkReady();
      });
      ch.onClose((detail) => {
        if (!settled) {
          this.closed = true;
          const text = pty ? ctlText : errText;
          if (opts.become && !opts.transportGone() && phase === 'ready') fail(becomeFailure(opts.become, opts.host, 'exited', text, detail));
          else fail(opts.lostError(`the shell on ${opts.label} exited before it was ready (${detail})`));
        } else this.onChannelGone(detail);
        for (const w of this.closeWaiters.splice(0)) w();
      });
    });
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
        this.data?.kill();
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

  /** Either channel went away: the shell is gone (the other channel is torn down too). */
  private onChannelGone(detail: string): void {
    if (this.closed && this.deadError) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.ch.kill();
    this.data?.kill();
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
      this.io.write(req);
    });
  }

  /** End the loop (EOF), wait briefly for the process to go, then kill it. */
  close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.ch.kill();
        this.data?.kill();
        resolve();
      }, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
      this.deadError ??= new TsplayError('connection', `the shell on ${this.opts.label} was closed`);
      if (this.heartbeat) clearInterval(this.heartbeat);
      // EOF on the command stream ends the loop; the control channel then closes by itself
      this.io.end();
    });
  }
}
