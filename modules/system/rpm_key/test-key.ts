/** A throwaway RSA key made with gpg 2.2 (`gpg --quick-gen-key`) for the tests, with the fingerprint gpg printed. */
import { readFileSync } from 'node:fs';

export const TEST_KEY = readFileSync(new URL('./test-key.asc', import.meta.url), 'utf8');
export const TEST_FPR = '691FF56B536ACAE699774163133BAB45A9096C9B';
