/**
 * SHA-crypt ($5$ SHA-256, $6$ SHA-512), as specified by Ulrich Drepper's public "Unix crypt using SHA-256 and
 * SHA-512" (the algorithm of glibc's crypt(3)): the password_hash filter's sha256/sha512 on the controller.
 */
import { createHash, randomInt } from 'node:crypto';

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The spec's byte order of the final digest: triples (first byte is the high one), then a tail. */
const ORDER: Record<'sha256' | 'sha512', { triples: number[][]; tail: number[] }> = {
  sha256: {
    triples: [
      [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
    ],
    tail: [31, 30],
  },
  sha512: {
    triples: [
      [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10],
      [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
    ],
    tail: [63],
  },
}; // prettier-ignore

function b64(w: number, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

/** `repeat` bytes of `digest` cycled (the spec's "for each block of N bytes... then the remaining bytes"). */
function cycle(digest: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = digest[i % digest.length]!;
  return out;
}

export const SALT_CHARS = ITOA64;

/** A random salt of `size` characters from the crypt alphabet. */
export function randomSalt(size = 16): string {
  let s = '';
  for (let i = 0; i < size; i++) s += ITOA64[randomInt(ITOA64.length)];
  return s;
}

/** crypt(3) of `password` with `salt` (at most 16 characters used); rounds undefined: 5000, not written out. */
export function shaCrypt(algo: 'sha256' | 'sha512', password: string, salt: string, rounds?: number): string {
  const h = (...parts: Buffer[]): Buffer => {
    const x = createHash(algo);
    for (const p of parts) x.update(p);
    return x.digest();
  };
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const R = rounds === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, Math.floor(rounds)));
  const size = algo === 'sha256' ? 32 : 64;

  const B = h(P, S, P);
  const a = createHash(algo).update(P).update(S).update(cycle(B, P.length));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  const A = a.digest();
  const DP = h(...Array<Buffer>(P.length).fill(P));
  const Pp = cycle(DP, P.length);
  const DS = h(...Array<Buffer>(16 + A[0]!).fill(S));
  const Sp = DS.subarray(0, S.length);
  let C = A;
  for (let i = 0; i < R; i++) {
    const c = createHash(algo);
    c.update(i & 1 ? Pp : C);
    if (i % 3) c.update(Sp);
    if (i % 7) c.update(Pp);
    c.update(i & 1 ? C : Pp);
    C = c.digest();
  }
  const { triples, tail } = ORDER[algo];
  let enc = triples.map(([x, y, z]) => b64((C[x!]! << 16) | (C[y!]! << 8) | C[z!]!, 4)).join('');
  enc += tail.length === 2 ? b64((C[tail[0]!]! << 8) | C[tail[1]!]!, 3) : b64(C[tail[0]!]!, 2);
  void size;
  return `$${algo === 'sha256' ? 5 : 6}$${rounds === undefined ? '' : `rounds=${R}$`}${S.toString('utf8')}$${enc}`;
}
