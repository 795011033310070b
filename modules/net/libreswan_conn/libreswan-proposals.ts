/**
 * IKE / ESP proposal strings (ipsec.conf(5) ike= and esp=), checked before anything touches a host.
 *
 * Libreswan 4.x no longer implements the old MODP groups: `ipsec addconn --checkconfig` accepts
 * `ike=aes256-sha1;modp1024` (the seeds' value), but pluto refuses to load the connection with
 * "IKE DH algorithm 'modp1024' is not supported". The same holds for ESP's PFS group. This catches those
 * names up front and suggests DH group 14 (modp2048), which Azure and AWS VPN gateways also offer.
 * Everything else is left to the host's own parser (`ipsec algparse`, run read-only in check()).
 */
import { ArgsError } from '../../../src/contract/index.js';

/** DH groups that Libreswan 4.x refuses, with their IANA group numbers. */
const REMOVED_DH: Record<string, number> = {
  modp768: 1,
  dh1: 1,
  modp1024: 2,
  dh2: 2,
  modp1024s160: 22,
  dh22: 22,
  modp2048s224: 23,
  dh23: 23,
  modp2048s256: 24,
  dh24: 24,
};

export const SUGGESTED_DH = 'modp2048';

const TOKEN_CHARS = /^[A-Za-z0-9_;,+-]+$/;

/** The algorithm tokens of a proposal list ("aes256-sha1;modp1024,aes128-sha2" → aes256, sha1, modp1024, ...). */
export function proposalTokens(value: string): string[] {
  return value
    .split(',')
    .flatMap((p) => p.split(/[-;+]/))
    .map((t) => t.trim())
    .filter(Boolean);
}

/** The same list with every removed DH group replaced by modp2048. */
export function suggestProposal(value: string): string {
  return value.replace(/[A-Za-z0-9_]+/g, (t) => (REMOVED_DH[t.toLowerCase()] !== undefined ? SUGGESTED_DH : t));
}

/**
 * Throws ArgsError when `value` (the ike= or esp= argument) cannot work with this Libreswan: a removed DH
 * group, DH 'none' for IKE, an empty proposal, characters no proposal has.
 */
export function checkProposal(key: 'ike' | 'esp', value: string): void {
  const v = value.trim();
  const path = `/${key}`;
  if (v === '') throw new ArgsError(`libreswan_conn: ${key} is empty (omit it to use Libreswan's defaults)`, path);
  if (!TOKEN_CHARS.test(v))
    throw new ArgsError(`libreswan_conn: ${key}='${v}' is not a proposal list (e.g. ${key === 'ike' ? 'aes256-sha2;modp2048' : 'aes128-sha2'})`, path);
  if (v.split(',').some((p) => p.trim() === '')) throw new ArgsError(`libreswan_conn: ${key}='${v}' has an empty proposal (a stray comma)`, path);
  const what = key === 'ike' ? 'IKE' : 'ESP';
  for (const t of proposalTokens(v)) {
    const group = REMOVED_DH[t.toLowerCase()];
    if (group !== undefined) {
      throw new ArgsError(
        `libreswan_conn: ${key}='${v}': DH group '${t}' (group ${group}) is not supported by Libreswan 4.x — ` +
          `\`ipsec addconn --checkconfig\` accepts it, but pluto refuses to load the connection ("${what} DH algorithm '${t}' is not supported"). ` +
          `Use ${SUGGESTED_DH} (DH group 14) or stronger: ${key}=${suggestProposal(v)} (the peer must offer the same group)`,
        path,
      );
    }
    if (key === 'ike' && t.toLowerCase() === 'none') {
      throw new ArgsError(`libreswan_conn: ike='${v}': IKE needs a DH group ('none' is only meaningful for esp); use e.g. ${SUGGESTED_DH}`, path);
    }
  }
}
