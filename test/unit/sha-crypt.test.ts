/** SHA-crypt against crypt(3) outputs (computed with openssl passwd -5/-6 and glibc's crypt). */
import { describe, expect, it } from 'vitest';
import { randomSalt, shaCrypt } from '../../src/engine/templating/sha-crypt.js';

describe('shaCrypt', () => {
  it.each([
    [
      'sha512',
      'secret',
      'abcdefgh12345678',
      undefined,
      '$6$abcdefgh12345678$8qry.al/7S2fAQnDPL..k3GVAXostN0YvxqwHlKr6Jsf/74.qDax5ahH0CISuJF.P2fnhZoX0.4l8IwZUur9t1',
    ],
    ['sha256', 'secret', 'abcdefgh', undefined, '$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.'],
    [
      'sha512',
      'a longer password of more than sixty-four bytes..................................',
      'xy',
      1000,
      '$6$rounds=1000$xy$Tld16.Lo9qi/D3GqnMQ0xLirMek6zOP6XMQL42p3Hux63dgE0BQoAF1w63OfctW.7izLUuZK9l1Ual7lQlOyp1',
    ],
    ['sha512', '', 'saltsalt', undefined, '$6$saltsalt$qkTgsCrWMTAS9gBGcf9W60sFfH.hU0oTCAOJjhbz5tSp/sU3/xXZK4OFwCtq8lIIdpJ6CatVdOTSHKp97TPkt/'],
  ] as const)('%s(%j, %j, rounds %j)', (algo, pw, salt, rounds, want) => {
    expect(shaCrypt(algo, pw, salt, rounds)).toBe(want);
  });
  it('random salts are 16 characters of the crypt alphabet', () => {
    expect(randomSalt()).toMatch(/^[./0-9A-Za-z]{16}$/);
    expect(randomSalt()).not.toBe(randomSalt());
  });
});
