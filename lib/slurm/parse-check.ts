/**
 * Slurm's own parser on a candidate configuration, without touching the running controller: the candidate
 * and the main slurm.conf (its Include of the candidate pointed at the staged copy, relative Includes made
 * absolute) go to a fresh 0700 temp dir on the host, removed on every exit path, and a client command runs
 * with SLURM_CONF there. Every Slurm client parses the whole configuration in slurm_init() before it does
 * anything (src/common/read_config.c) and dies with "Unable to process configuration file" on unknown keys,
 * bad values, bad Include; `scontrol show hostnames` then needs no controller. It costs a few milliseconds.
 * There is no `slurmctld -t` in 22.05, and `slurmctld -D` on a copy costs seconds and a port; what only
 * slurmctld checks (node names in partitions, duplicates, node states) is linted in TypeScript.
 * Lines with "error:" fail the check too: the parser logs some mistakes (CPUs not matching the topology,
 * "Invalid ReconfigFlag") and carries on.
 */
import { shq } from '../shell/quote.js';
import { stageMainConf } from './conf-line.js';

export interface ParseCheckInput {
  /** the main slurm.conf's text and path */
  main: string;
  mainPath: string;
  /** the candidate's host path and text */
  path: string;
  candidate: string;
}

const MARK = '@@tsplay-parse-check@@';

export function parseCheckScript(i: ParseCheckInput): string {
  const mainDir = i.mainPath.replace(/\/[^/]*$/, '') || '/';
  const base = i.path.replace(/^.*\//, '') || 'cloud.conf';
  const staged = stageMainConf(i.main, mainDir, i.path, base);
  return [
    'command -v scontrol >/dev/null 2>&1 || { echo "scontrol is not installed"; exit 3; }',
    '_d=$(mktemp -d /tmp/tsplay-slurm-conf.XXXXXXXX) || exit 1',
    `trap 'rm -rf -- "$_d"' EXIT`,
    `trap 'exit 1' HUP INT TERM`,
    'chmod 0700 "$_d" || exit 1',
    `printf '%s' ${shq(staged)} > "$_d/slurm.conf" || exit 1`,
    `printf '%s' ${shq(i.candidate)} > "$_d/${base}" || exit 1`,
    `echo "${MARK}$_d"`,
    'SLURM_CONF="$_d/slurm.conf" scontrol show hostnames tsplay-parse-check 2>&1 >/dev/null',
  ].join('\n');
}

export interface ParseCheckResult {
  ok: boolean;
  /** Slurm's messages, the temp dir's paths replaced by the real ones */
  messages: string[];
  missing?: boolean;
}

export function parseCheckResult(rc: number, stdout: string, i: ParseCheckInput): ParseCheckResult {
  if (rc === 3) return { ok: false, missing: true, messages: ['scontrol is not installed'] };
  const m = new RegExp(`^${MARK}(.*)$`, 'm').exec(stdout);
  const dir = m?.[1];
  const mainDir = i.mainPath.replace(/\/[^/]*$/, '');
  const base = i.path.replace(/^.*\//, '');
  let text = m ? stdout.slice(m.index + m[0].length) : stdout;
  if (dir) text = text.split(`${dir}/slurm.conf`).join(i.mainPath).split(`${dir}/${base}`).join(i.path).split(dir).join(mainDir);
  const messages = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const bad = messages.filter((l) => /\b(error|fatal):/.test(l));
  return { ok: rc === 0 && bad.length === 0, messages: bad.length ? bad : rc === 0 ? [] : messages.length ? messages : [`rc=${rc}`] };
}
