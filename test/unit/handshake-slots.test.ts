/** The handshake limiter (src/connection/handshake-slots.ts): at most N at once, in order, a slot given back once. */
import { afterEach, describe, expect, it } from 'vitest';
import { handshakeSlot, handshakeSlots } from '../../src/connection/handshake-slots.js';

afterEach(() => {
  delete process.env['TSPLAY_HANDSHAKES'];
});

describe('handshake slots', () => {
  it('lets N handshakes run, queues the rest in order, and hands a returned slot to the next', async () => {
    process.env['TSPLAY_HANDSHAKES'] = '2';
    const a = await handshakeSlot();
    const b = await handshakeSlot();
    const got: string[] = [];
    const c = handshakeSlot().then((r) => (got.push('c'), r));
    const d = handshakeSlot().then((r) => (got.push('d'), r));
    await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([]);
    expect(handshakeSlots()).toEqual({ active: 2, waiting: 2 });
    a();
    a(); // given back twice: counts once
    const rc = await c;
    expect(got).toEqual(['c']);
    expect(handshakeSlots()).toEqual({ active: 2, waiting: 1 });
    b();
    const rd = await d;
    expect(got).toEqual(['c', 'd']);
    rc();
    rd();
    expect(handshakeSlots()).toEqual({ active: 0, waiting: 0 });
  });

  it('defaults to at least 64 at once', async () => {
    const slots = await Promise.all(Array.from({ length: 64 }, () => handshakeSlot()));
    expect(handshakeSlots()).toEqual({ active: 64, waiting: 0 });
    for (const s of slots) s();
    expect(handshakeSlots().active).toBe(0);
  });
});
