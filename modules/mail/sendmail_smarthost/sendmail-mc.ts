/**
 * The SMART_HOST define in sendmail.mc and the DS line of the built sendmail.cf (pure text work).
 *
 *   define(`SMART_HOST', `mail.cluster.example.com')dnl      in sendmail.mc (m4 source)
 *   DSmail.cluster.example.com                               in sendmail.cf (what sendmail reads)
 *
 * cf/README: SMART_HOST must be defined before the MAILER() lines; Debian's sendmail.mc ends with
 * MAILER_DEFINITIONS / MAILER(`local') / MAILER(`smtp'), Red Hat's carries a commented "dnl define(`SMART_HOST'...".
 */
import { Address4, Address6 } from 'ip-address';
import { ArgsError } from '../../../src/contract/index.js';

const NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const MAILERS = new Set(['smtp', 'esmtp', 'smtp8', 'dsmtp', 'relay']);

/**
 * smart_host as sendmail takes it: `host.domain`, `[host.domain]` or `[10.1.2.3]` / `[IPv6:2001:db8::1]`
 * (brackets: no MX lookup), optionally `mailer:` in front (relay:, esmtp:...).
 */
export function checkSmartHost(v: string): void {
  const bad = (why: string) => new ArgsError(`sendmail_smarthost: smart_host '${v}' ${why}`, '/smart_host');
  if (/[`'\s]/.test(v)) throw bad("contains quotes or blanks (it is put between m4 quotes `...')");
  const m = /^(?:([a-z0-9]+):)?(.*)$/.exec(v)!;
  if (m[1] !== undefined && !MAILERS.has(m[1])) throw bad(`names an unknown mailer '${m[1]}:' (${[...MAILERS].join(', ')})`);
  const host = m[2]!;
  const br = /^\[(.*)\]$/.exec(host);
  if (br) {
    const inner = br[1]!;
    if (/^[\d.]+$/.test(inner)) {
      if (Address4.isValid(inner)) return;
      throw bad('is not [address], [IPv6:address] or [host.name]');
    }
    if (/^IPv6:/i.test(inner) && Address6.isValid(inner.slice(5)) && !inner.includes('/')) return;
    if (NAME.test(inner)) return;
    throw bad('is not [address], [IPv6:address] or [host.name]');
  }
  if (Address4.isValid(host) || Address6.isValid(host)) throw bad(`is a bare address: write it as [${host}] so sendmail does not look up MX records for it`);
  if (!NAME.test(host) || /^[\d.]+$/.test(host)) throw bad('is not a host name');
}

export function smartHostLine(v: string): string {
  return `define(\`SMART_HOST', \`${v}')dnl`;
}

const ACTIVE = /^\s*define\(\s*`SMART_HOST'\s*,/;
const COMMENTED = /^\s*dnl\s*#?\s*define\(\s*`SMART_HOST'\s*,/;
const MAILER = /^\s*(?:MAILER_DEFINITIONS|MAILER\s*\()/;

/** Value of the active define (the last one wins in m4), or null. */
export function currentSmartHost(mc: string): string | null {
  let val: string | null = null;
  for (const line of mc.split('\n')) {
    if (!ACTIVE.test(line)) continue;
    const m = /^\s*define\(\s*`SMART_HOST'\s*,\s*`([^']*)'\s*\)/.exec(line);
    val = m ? m[1]! : '';
  }
  return val;
}

export type McEdit = 'unchanged' | 'replaced' | 'uncommented' | 'inserted' | 'appended' | 'removed';

/**
 * The sendmail.mc with exactly one active SMART_HOST define (value `v`), or none (v null).
 * The first active define is replaced in place (later ones, which would win, are removed); else the first
 * commented one is uncommented in place; else the line goes before the first MAILER line; else at the end.
 */
export function editMc(mc: string, v: string | null): { content: string; edit: McEdit } {
  const lines = mc.split('\n');
  const trailingNl = mc.endsWith('\n');
  if (trailingNl) lines.pop();
  const want = v === null ? null : smartHostLine(v);
  const out: string[] = [];
  let placed = false;
  let edit: McEdit = 'unchanged';
  const active = lines.filter((l) => ACTIVE.test(l)).length;
  for (const line of lines) {
    if (ACTIVE.test(line)) {
      if (want !== null && !placed) {
        out.push(want);
        placed = true;
        if (line !== want || active > 1) edit = 'replaced';
      } else edit = want === null ? 'removed' : 'replaced';
      continue;
    }
    out.push(line);
  }
  if (want !== null && !placed) {
    const ci = out.findIndex((l) => COMMENTED.test(l));
    if (ci >= 0) {
      out[ci] = want;
      edit = 'uncommented';
    } else {
      const mi = out.findIndex((l) => MAILER.test(l));
      if (mi >= 0) {
        out.splice(mi, 0, want);
        edit = 'inserted';
      } else {
        out.push(want);
        edit = 'appended';
      }
    }
  }
  const content = out.join('\n') + (trailingNl || out.length ? '\n' : '');
  return { content: edit === 'unchanged' ? mc : content, edit };
}

/** The DS macro of a built sendmail.cf ('' when the line is `DS` alone); null when there is no DS line. */
export function dsOf(cf: string): string | null {
  const m = /^DS(.*)$/m.exec(cf);
  return m ? m[1]!.trimEnd() : null;
}
