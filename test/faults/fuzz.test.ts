/**
 * Seeded fuzzing of the loaders through the CLI: mutations of the repo's own playbooks, inventories
 * and fixtures through `run --syntax-check` and `inventory --list/--graph`. Every answer must be a clean one:
 * no stack overflow, no hang (a case is killed after 30 s: the slowest take 3-4 s alone, three times that beside the lab suites), an exit code of ansible-playbook's (0, 1, 2, 4, 5),
 * no JavaScript wording, and every load error (exit 4) at its file:line:col.
 * TSPLAY_FUZZ_CASES (default 500) and TSPLAY_FUZZ_SEED (default 8) choose the run; the full 2,400 cases:
 *   TSPLAY_FUZZ_CASES=2400 npx vitest run test/faults/fuzz.test.ts
 * A failing case is reproduced alone with TSPLAY_FUZZ_START=<id> TSPLAY_FUZZ_CASES=1; TSPLAY_FUZZ_ROOT=<checkout> runs
 * the cases against another checkout's build (a baseline: its own playbooks and dist/).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness/cli.js';
import { formatSummary, runFuzz } from './fuzz-pool.js';

const CASES = Number(process.env.TSPLAY_FUZZ_CASES ?? 500);
const SEED = Number(process.env.TSPLAY_FUZZ_SEED ?? 8);
const START = Number(process.env.TSPLAY_FUZZ_START ?? 0);
const REPO = process.env.TSPLAY_FUZZ_ROOT ?? ROOT;

describe('fuzzed playbooks and inventories', () => {
  it(`${CASES} seeded cases: no overflow, no hang, allowed exit codes, positioned errors`, { timeout: Math.max(300_000, CASES * 1_000) }, async () => {
    expect(existsSync(join(REPO, 'dist/src/cli/main.js')), 'run `npm run build` first').toBe(true);
    const s = await runFuzz({ repoRoot: REPO, seed: SEED, cases: CASES, start: START, slots: 2, timeoutMs: 30_000 });
    process.stdout.write(formatSummary(s, SEED) + '\n');
    // every case's answer, for a look at what the loaders say (TSPLAY_FUZZ_DUMP=/tmp/fuzz.json)
    if (process.env.TSPLAY_FUZZ_DUMP)
      writeFileSync(
        process.env.TSPLAY_FUZZ_DUMP,
        JSON.stringify(
          s.results.map((r) => ({
            id: r.c.id,
            subject: r.c.subject,
            mutation: r.c.mutation,
            code: r.code,
            ms: Math.round(r.ms),
            stderr: r.stderr.slice(0, 2000),
            problems: r.problems,
          })),
        ),
      );
    expect(s.cases).toBe(CASES);
    expect(s.failures.map((f) => `#${f.c.id} ${f.c.mutation}: ${f.problems.join('; ')}`)).toEqual([]);
  });
});
