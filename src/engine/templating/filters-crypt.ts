/** password_hash (ansible.builtin): SHA-crypt on the controller (sha512 / sha256; other schemes are refused). */
import { callArg, type FilterDef } from './evaluate.js';
import { num, pyStr } from './py.js';
import { randomSalt, SALT_CHARS, shaCrypt } from './sha-crypt.js';

const SCHEMES: Record<string, 'sha256' | 'sha512'> = { sha256: 'sha256', sha256_crypt: 'sha256', sha512: 'sha512', sha512_crypt: 'sha512' };

export const cryptFilters: Record<string, FilterDef> = {
  password_hash: {
    fn: (_env, value, args, kw) => {
      const call = { args, kw };
      const type = pyStr(callArg(call, 0, 'hashtype', 'sha512'));
      const algo = SCHEMES[type];
      if (!algo) throw new Error(`${type} is not in the list of supported passlib algorithms: sha256_crypt, sha512_crypt (tsplay has only these)`);
      const salt0 = callArg(call, 1, 'salt', null);
      const saltSize = callArg(call, 2, 'salt_size', null);
      const rounds0 = callArg(call, 3, 'rounds', null);
      let salt: string;
      if (salt0 !== null && salt0 !== undefined) {
        salt = pyStr(salt0);
        if ([...salt].some((c) => !SALT_CHARS.includes(c))) throw new Error(`invalid characters in ${type} salt`);
      } else salt = randomSalt(saltSize === null || saltSize === undefined ? 16 : Math.min(16, num(saltSize)));
      const rounds = rounds0 === null || rounds0 === undefined ? undefined : num(rounds0);
      return shaCrypt(algo, pyStr(value), salt, rounds);
    },
  },
};
