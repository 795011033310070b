/**
 * The holder's wire format over its unix socket: frames of [u32 header length][u32 payload length][JSON header]
 * [binary payload] (stdin going out, stdout coming back). Errors travel as their class name and fields and are
 * rebuilt on the run's side, so an unreachable host through the holder reads as it would directly.
 */
import type { Socket } from 'node:net';
import { BecomeError, ModuleError, TsplayError, UnreachableError, type ErrorCode } from '../errors.js';

export type Header = Record<string, unknown> & { id: number };

export function frame(header: Header, payload?: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const p = payload ?? Buffer.alloc(0);
  const len = Buffer.alloc(8);
  len.writeUInt32BE(h.length, 0);
  len.writeUInt32BE(p.length, 4);
  return Buffer.concat([len, h, p]);
}

/** Calls onFrame for each complete frame read from sock. */
export function readFrames(sock: Socket, onFrame: (h: Header, payload: Buffer) => void): void {
  let buf: Buffer = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 8) {
      const hl = buf.readUInt32BE(0);
      const pl = buf.readUInt32BE(4);
      if (buf.length < 8 + hl + pl) break;
      let h: Header;
      try {
        h = JSON.parse(buf.subarray(8, 8 + hl).toString()) as Header;
      } catch {
        sock.destroy();
        return;
      }
      const payload = Buffer.from(buf.subarray(8 + hl, 8 + hl + pl));
      buf = buf.subarray(8 + hl + pl);
      onFrame(h, payload);
    }
  });
}

export interface WireError {
  name: string;
  code: string;
  message: string;
  needsTty?: boolean;
  rc?: number;
  stdout?: string;
  stderr?: string;
  hint?: string;
}

export function errorToWire(e: unknown): WireError {
  if (e instanceof TsplayError) {
    const m = e as TsplayError & Partial<ModuleError> & { needsTty?: boolean };
    return { name: e.name, code: e.code, message: e.message, needsTty: m.needsTty, rc: m.rc, stdout: m.stdout, stderr: m.stderr, hint: e.hint };
  }
  return { name: 'Error', code: 'internal', message: (e as Error)?.message ?? String(e) };
}

export function errorFromWire(w: WireError): Error {
  let e: TsplayError;
  switch (w.name) {
    case 'UnreachableError':
      e = new UnreachableError(w.message);
      break;
    case 'BecomeError': {
      const b = new BecomeError(w.message);
      b.needsTty = w.needsTty ?? false;
      e = b;
      break;
    }
    case 'ModuleError':
      e = new ModuleError(w.message, { rc: w.rc, stdout: w.stdout, stderr: w.stderr });
      break;
    default:
      e = new TsplayError(w.code as ErrorCode, w.message);
  }
  if (w.hint) e.hint = w.hint;
  return e;
}
