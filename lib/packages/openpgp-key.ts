/**
 * The key id and fingerprint of an ASCII-armored OpenPGP public key, read on the controller (no gpg on the
 * target): the first public-key packet, v4 (fingerprint = SHA-1 over 0x99, the 2-byte length and the body).
 */
import { createHash } from 'node:crypto';

const ARMOR = /-----BEGIN PGP PUBLIC KEY BLOCK-----([\s\S]*?)-----END PGP PUBLIC KEY BLOCK-----/;

/** Ansible's is_pubkey(): the text holds an armored public key block. */
export const isPubkey = (text: string): boolean => ARMOR.test(text);

export interface PgpKeyInfo {
  /** 40 hex digits, upper case */
  fingerprint: string;
  /** the long key id (last 16 hex digits of the fingerprint) */
  keyId: string;
}

export function pgpKeyInfo(text: string): PgpKeyInfo {
  const m = ARMOR.exec(text);
  if (!m) throw new Error('not an armored OpenPGP public key');
  const lines = m[1]!.split(/\r?\n/);
  const blank = lines.findIndex((l, i) => i > 0 && l.trim() === '');
  const body = lines.slice(blank < 0 ? 1 : blank + 1).filter((l) => l.trim() !== '' && !l.startsWith('='));
  const data = Buffer.from(body.join(''), 'base64');
  const b = data[0];
  if (b === undefined || !(b & 0x80)) throw new Error('not an OpenPGP packet');
  let tag: number;
  let len: number;
  let off: number;
  if (b & 0x40) {
    tag = b & 0x3f;
    const o1 = data[1]!;
    if (o1 < 192) [len, off] = [o1, 2];
    else if (o1 < 224) [len, off] = [((o1 - 192) << 8) + data[2]! + 192, 3];
    else if (o1 === 255) [len, off] = [data.readUInt32BE(2), 6];
    else throw new Error('partial packet length in a key packet');
  } else {
    tag = (b >> 2) & 0x0f;
    const lt = b & 3;
    if (lt === 0) [len, off] = [data[1]!, 2];
    else if (lt === 1) [len, off] = [data.readUInt16BE(1), 3];
    else if (lt === 2) [len, off] = [data.readUInt32BE(1), 5];
    else throw new Error('indeterminate packet length');
  }
  if (tag !== 6) throw new Error(`the first packet is not a public key (tag ${tag})`);
  const pkt = data.subarray(off, off + len);
  if (pkt.length !== len) throw new Error('truncated key packet');
  if (pkt[0] !== 4) throw new Error(`OpenPGP key version ${pkt[0]} is not supported (only v4)`);
  const fp = createHash('sha1')
    .update(Buffer.from([0x99, len >> 8, len & 0xff]))
    .update(pkt)
    .digest('hex')
    .toUpperCase();
  return { fingerprint: fp, keyId: fp.slice(-16) };
}
