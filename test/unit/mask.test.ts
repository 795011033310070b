/**
 * The output mask (src/output/mask.ts): long secrets wherever they occur; secrets too short to hide (under
 * MIN_HIDDEN characters) only where they stand alone as a word, with one warning that never shows them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MASK, MIN_HIDDEN, clearSecrets, mask, maskDeep, maskText, onSecretWarning, registerSecret } from '../../src/output/mask.js';
import { renderDiff } from '../../src/output/diff.js';
import { recapLines } from '../../src/output/recap.js';
import { registerVaultPlaintext } from '../../src/vault/mask-values.js';

afterEach(() => clearSecrets());

const RECAP = recapLines({ node1: { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 } }).join('\n');

describe('long secrets', () => {
  it('are masked wherever they occur, inside words too', () => {
    registerSecret('hunter2');
    expect(mask('pw=hunter2; xhunter2x')).toBe(`pw=${MASK}; x${MASK}x`);
    expect(maskText('hunter2')).toBe(MASK);
  });
});

describe('a one-character vault value', () => {
  it('never touches other words, the PLAY RECAP or numbers', () => {
    registerVaultPlaintext('e');
    registerSecret('1');
    expect(maskText('the length of the queue')).toBe('the length of the queue');
    expect(mask(RECAP)).toBe(RECAP); // every line tsplay composes goes through mask(): long secrets only
    expect(maskText('node1 10.0.0.1 v12.1 a-1 /dev/sda1 x_1')).toBe('node1 10.0.0.1 v12.1 a-1 /dev/sda1 x_1');
  });

  it('is masked where it stands alone: a whole value, a word, key=value, quotes, the end of a sentence', () => {
    registerSecret('7');
    expect(maskText('7')).toBe(MASK);
    expect(maskText('PIN is 7')).toBe(`PIN is ${MASK}`);
    expect(maskText('PIN is 7.')).toBe(`PIN is ${MASK}.`);
    expect(maskText('pin=7\nport: 7\n"7", (7)')).toBe(`pin=${MASK}\nport: ${MASK}\n"${MASK}", (${MASK})`);
    expect(maskDeep({ msg: '7', rc: 7, stdout_lines: ['7', 'retry 17 times'] })).toEqual({ msg: MASK, rc: 7, stdout_lines: [MASK, 'retry 17 times'] });
  });

  it('in a diff of file content: the value line is masked, nothing else', () => {
    registerSecret('7');
    const d = renderDiff({ before: 'pin = 1\nport = 8077\n', after: 'pin = 7\nport = 8077\n', beforeHeader: 'f', afterHeader: 'f' });
    expect(d).toContain(`+pin = ${MASK}`);
    expect(d).toContain(' port = 8077');
  });

  it('warns once, without the value, however many short secrets there are', () => {
    const seen: string[] = [];
    registerSecret('Ж'); // before the renderer exists (a vars file loaded with the playbook)
    onSecretWarning((m) => seen.push(m));
    registerSecret('zq9');
    registerSecret('Ж');
    expect(seen).toEqual([
      `a secret value of 1 character (from a vault, a become password or a no_log argument) is too short to hide: it is masked only where it stands alone as a word, not inside other text; secrets of ${MIN_HIDDEN} characters or more are masked everywhere`,
    ]);
    expect(seen[0]).not.toMatch(/Ж|zq9/);
    registerSecret('long-enough');
    expect(seen).toHaveLength(1);
  });
});
