#!/usr/bin/env node
/**
 * Records the expected outputs of the conformance cases with the real ansible-playbook (ansible-core 2.14, as in
 * Debian 12) against a fresh 2-host lab (node1: sudo without password, node2: sudo with a password):
 *
 *   npm run build && node test/e2e/conformance/record.mjs [case names...]
 *
 * (TSPLAY_RECORD_LAB=name: the lab's name, conf3 by default.)
 *
 * Writes test/fixtures/conformance/expected/<case>.txt (normalised, see harness.mjs). The test compares tsplay's
 * normalised output with these files; re-record only when a case changes, and review the diff.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, ansibleEnv, cases, ghostInventory, normalizeRaw, normalizeRun } from './harness.mjs';

// another name when labs of that name may be running (TSPLAY_RECORD_LAB=...)
const LAB = process.env.TSPLAY_RECORD_LAB ?? 'conf3';
const only = process.argv.slice(2);
const tsplay = (...args) => spawnSync(process.execPath, [join(ROOT, 'bin/tsplay.js'), ...args], { encoding: 'utf8' });

const up = tsplay('lab', 'up', '--name', LAB, '--sudo', 'mixed', '2');
if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
const inv = `/tmp/tsplay-lab/${LAB}/inventory.yml`;
const ghost = ghostInventory(inv, join(mkdtempSync(join(tmpdir(), 'conf-rec-')), 'ghost.yml'));
const env = { ...process.env, ...ansibleEnv };
try {
  for (const c of cases) {
    if (only.length && !only.includes(c.name)) continue;
    if (c.pre) for (const h of ['node1', 'node2']) tsplay('lab', 'exec', '--name', LAB, h, c.pre);
    const r = spawnSync('ansible-playbook', [...c.playbooks, '-i', c.inventory === 'ghost' ? ghost : inv, ...(c.args ?? [])], {
      cwd: FIXTURES,
      env,
      encoding: 'utf8',
    });
    const text = (c.raw ? normalizeRaw : normalizeRun)(r.stdout, r.status, c);
    writeFileSync(join(FIXTURES, 'expected', `${c.name}.txt`), text);
    console.log(`${c.name}: rc=${r.status}`);
  }
} finally {
  tsplay('lab', 'down', '--name', LAB);
}
