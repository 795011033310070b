/**
 * tsplay and the real ansible-playbook (2.14) run the same playbook (test/fixtures/conformance/state.yml: a role
 * with a template and a file, users and a group, owners and modes, lineinfile/blockinfile, a rescue, an include
 * in a loop, handlers) against two identical labs — conf2 for tsplay, conf3 for Ansible. The hosts must end in
 * the same state (every path's type, mode, owner, group, size and content; the users and the group) and the
 * recaps must agree, on the first run and on the second (nothing changes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { startLab, stopLab, type Lab } from '../../harness/lab.js';
import { recap, tsplay } from '../../harness/cli.js';
// @ts-expect-error plain JS shared with the recorder
import { FIXTURES, ansibleEnv } from './harness.mjs';

let ts: Lab;
let an: Lab;
// TSPLAY_CONF_LAB=name: labs name-ts and name-an instead (several checkouts on one machine)
const [TS_LAB, AN_LAB] = process.env.TSPLAY_CONF_LAB ? [`${process.env.TSPLAY_CONF_LAB}-ts`, `${process.env.TSPLAY_CONF_LAB}-an`] : ['conf2', 'conf3'];

beforeAll(async () => {
  [ts, an] = await Promise.all([startLab(TS_LAB, { hosts: 2, sudo: 'mixed' }), startLab(AN_LAB, { hosts: 2, sudo: 'mixed' })]);
});
afterAll(async () => {
  await Promise.all([stopLab(TS_LAB), stopLab(AN_LAB)]);
});

function ansible(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((res, rej) => {
    const child = spawn('ansible-playbook', args, { cwd: FIXTURES, env: { ...process.env, ...ansibleEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', () => {});
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, stdout }));
  });
}

/** What the playbook leaves on a host, as text that must be the same on both labs. */
async function state(lab: Lab, host: string): Promise<string> {
  const r = await lab.exec(
    host,
    'cd /opt/conf-state && find . -printf "%p %y %m %u %g %s\\n" | sort && find . -type f | sort | xargs md5sum; ' +
      'getent group confgrp; getent passwd ann ben | cut -d: -f1,3,4,6,7',
  );
  return r.stdout;
}

describe('same host state and recap as ansible-playbook', () => {
  for (const round of ['first run', 'second run']) {
    it(round, async () => {
      const [t, a] = await Promise.all([tsplay(['run', 'state.yml', '-i', ts.inventory], { cwd: FIXTURES }), ansible(['state.yml', '-i', an.inventory])]);
      expect(t.code, t.all).toBe(a.code);
      const tr = recap(t.stdout);
      expect(Object.keys(tr).sort()).toEqual(['node1', 'node2']);
      expect(tr).toEqual(recap(a.stdout));
      if (round === 'second run') for (const s of Object.values(tr)) expect(s.changed).toBe(0);
      else for (const s of Object.values(tr)) expect(s.changed).toBeGreaterThan(10);
      for (const h of ['node1', 'node2']) {
        const [st, sa] = await Promise.all([state(ts, h), state(an, h)]);
        expect(st).toContain('./app.conf f 640 root root');
        expect(st, h).toBe(sa);
      }
    });
  }
});
