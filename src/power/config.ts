/**
 * The power program's configuration: one YAML file (default /etc/tsplay/power.yml, or $TSPLAY_POWER_CONFIG, or
 * --config). slurmctld starts the program with an empty environment, so everything the program needs is in here
 * or set by the launcher: the inventory, the cloud-node playbook, deadlines, concurrency, the log.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { TsplayError } from '../errors.js';

export interface PowerConfig {
  /** the file this was read from */
  file: string;
  /** inventory with one host per Slurm node name (host vars azure_vm_name + azure_resource_group, or aws_instance_id) */
  inventory: string;
  /** the cloud-node playbook run against a node after its VM started */
  playbook: string;
  /** extra vars for that playbook */
  extra_vars: Record<string, unknown>;
  /** vault password file for the inventory/playbook (optional) */
  vault_password_file?: string;
  /** one JSON line per step */
  log: string;
  /** per-node locks, back-off counters, copies of SLURM_RESUME_FILE */
  state_dir: string;
  /** seconds from slurmctld's call to "node configured" (keep it below ResumeTimeout) */
  resume_deadline: number;
  /** seconds for a suspend (slurmd stop + deallocate + verify) */
  suspend_deadline: number;
  /** nodes worked on at once */
  concurrency: number;
  /** ResumeFailProgram: seconds before a failed node is returned to service (doubled per consecutive failure) */
  fail_backoff: number;
  fail_backoff_max: number;
  /** retries of a throttled cloud call, with exponential back-off + jitter */
  retry: { attempts: number; base_s: number; max_s: number };
  /** scontrol (absolute path or a name on the launcher's PATH) */
  scontrol: string;
  /** the command that stops slurmd on a node (over SSH, with become) */
  slurmd_stop: string;
  az: { subscription?: string; poll_interval: number };
  /** defaults for nodes without aws_region / aws_profile host vars */
  aws: { region?: string; profile?: string; poll_interval: number };
}

const num = (v: unknown, d: number, key: string, file: string): number => {
  if (v === undefined || v === null) return d;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new TsplayError('options', `${file}: ${key} must be a non-negative number`);
  return v;
};

export function parseConfig(text: string, file: string): PowerConfig {
  const raw = (parse(text) ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new TsplayError('options', `${file}: not a YAML mapping`);
  const base = dirname(resolve(file));
  const path = (k: string, d?: string): string => {
    const v = raw[k] ?? d;
    if (typeof v !== 'string' || v === '') throw new TsplayError('options', `${file}: ${k} (a path) is required`);
    return isAbsolute(v) ? v : resolve(base, v);
  };
  const retry = (raw.retry ?? {}) as Record<string, unknown>;
  const az = (raw.az ?? {}) as Record<string, unknown>;
  const aws = (raw.aws ?? {}) as Record<string, unknown>;
  const ostr = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const cfg: PowerConfig = {
    file,
    inventory: path('inventory'),
    playbook: path('playbook'),
    extra_vars: (raw.extra_vars ?? {}) as Record<string, unknown>,
    vault_password_file: typeof raw.vault_password_file === 'string' ? path('vault_password_file') : undefined,
    log: path('log', '/var/log/tsplay/power.jsonl'),
    state_dir: path('state_dir', '/var/lib/tsplay/power'),
    resume_deadline: num(raw.resume_deadline, 240, 'resume_deadline', file),
    suspend_deadline: num(raw.suspend_deadline, 240, 'suspend_deadline', file),
    concurrency: Math.max(1, Math.floor(num(raw.concurrency, 8, 'concurrency', file))),
    fail_backoff: num(raw.fail_backoff, 60, 'fail_backoff', file),
    fail_backoff_max: num(raw.fail_backoff_max, 3600, 'fail_backoff_max', file),
    retry: {
      attempts: Math.max(1, Math.floor(num(retry.attempts, 5, 'retry.attempts', file))),
      base_s: num(retry.base_s, 2, 'retry.base_s', file),
      max_s: num(retry.max_s, 30, 'retry.max_s', file),
    },
    scontrol: typeof raw.scontrol === 'string' ? raw.scontrol : 'scontrol',
    slurmd_stop: typeof raw.slurmd_stop === 'string' ? raw.slurmd_stop : 'systemctl stop slurmd 2>/dev/null || service slurmd stop',
    az: { subscription: typeof az.subscription === 'string' ? az.subscription : undefined, poll_interval: num(az.poll_interval, 5, 'az.poll_interval', file) },
    aws: { region: ostr(aws.region), profile: ostr(aws.profile), poll_interval: num(aws.poll_interval, 5, 'aws.poll_interval', file) },
  };
  return cfg;
}

export function defaultConfigPath(): string {
  return process.env.TSPLAY_POWER_CONFIG || '/etc/tsplay/power.yml';
}

export function loadConfig(file = defaultConfigPath()): PowerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TsplayError('options', `the power configuration ${file} cannot be read: ${(e as Error).message}`);
  }
  return parseConfig(text, file);
}
