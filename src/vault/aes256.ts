/**
 * Ansible Vault's AES256 cipher (VaultAES256 in lib/ansible/parsing/vault/__init__.py):
 * PBKDF2-HMAC-SHA256 (10000 iterations, 32-byte salt) derives 80 bytes split into key1 (AES-256-CTR key),
 * key2 (HMAC-SHA256 key) and a 16-byte initial counter; the plaintext is PKCS7-padded to the AES block
 * size; the payload is hexlify(hex(salt) "\n" hex(hmac) "\n" hex(ciphertext)) — hex twice.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { TsplayError } from '../errors.js';

const ITERATIONS = 10000;
const KEY_LEN = 32;
const IV_LEN = 16;
const SALT_LEN = 32;
const BLOCK = 16;

function deriveKeys(password: Uint8Array, salt: Uint8Array): { key1: Buffer; key2: Buffer; iv: Buffer } {
  const d = pbkdf2Sync(password, salt, ITERATIONS, 2 * KEY_LEN + IV_LEN, 'sha256');
  return { key1: d.subarray(0, KEY_LEN), key2: d.subarray(KEY_LEN, 2 * KEY_LEN), iv: d.subarray(2 * KEY_LEN) };
}

function pkcs7Pad(data: Uint8Array): Buffer {
  const n = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function pkcs7Unpad(data: Buffer): Buffer {
  const n = data.length ? data[data.length - 1]! : 0;
  if (n < 1 || n > BLOCK || n > data.length || data.length % BLOCK) throw formatError('invalid padding');
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw formatError('invalid padding');
  return data.subarray(0, data.length - n);
}

function formatError(detail: string): TsplayError {
  return new TsplayError('vault', `Vault format error: ${detail}`);
}

function unhex(text: string, what: string): Buffer {
  if (text.length % 2 || !/^[0-9a-fA-F]*$/.test(text)) throw formatError(`${what} is not hexadecimal (Vault format unhexlify error)`);
  return Buffer.from(text, 'hex');
}

/** Encrypt bytes; returns the payload (one long hex string, no header). `salt` only for reproducible tests. */
export function encryptPayload(plaintext: Uint8Array, password: Uint8Array, salt: Uint8Array = randomBytes(SALT_LEN)): string {
  const { key1, key2, iv } = deriveKeys(password, salt);
  const cipher = createCipheriv('aes-256-ctr', key1, iv);
  const ct = Buffer.concat([cipher.update(pkcs7Pad(plaintext)), cipher.final()]);
  const mac = createHmac('sha256', key2).update(ct).digest();
  const inner = [Buffer.from(salt).toString('hex'), mac.toString('hex'), ct.toString('hex')].join('\n');
  return Buffer.from(inner, 'latin1').toString('hex');
}

/** Split a payload into salt, hmac and ciphertext; throws a format error when it is malformed. */
export function parsePayload(payload: string): { salt: Buffer; mac: Buffer; ct: Buffer } {
  const inner = unhex(payload, 'the payload').toString('latin1');
  const first = inner.indexOf('\n');
  const second = first < 0 ? -1 : inner.indexOf('\n', first + 1);
  if (second < 0) throw formatError('the payload does not hold salt, hmac and ciphertext');
  return {
    salt: unhex(inner.slice(0, first), 'the salt'),
    mac: unhex(inner.slice(first + 1, second), 'the hmac'),
    ct: unhex(inner.slice(second + 1), 'the ciphertext'),
  };
}

/** Decrypt a payload with one password: the plaintext, or null when the HMAC does not match (wrong password). */
export function decryptPayload(payload: string, password: Uint8Array): Buffer | null {
  const { salt, mac, ct } = parsePayload(payload);
  const { key1, key2, iv } = deriveKeys(password, salt);
  const expect = createHmac('sha256', key2).update(ct).digest();
  if (mac.length !== expect.length || !timingSafeEqual(mac, expect)) return null;
  const decipher = createDecipheriv('aes-256-ctr', key1, iv);
  return pkcs7Unpad(Buffer.concat([decipher.update(ct), decipher.final()]));
}
