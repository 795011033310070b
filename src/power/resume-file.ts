/**
 * SLURM_RESUME_FILE: the JSON slurmctld writes for ResumeProgram (22.05: all_nodes/nodes; 23.02+:
 * all_nodes_resume/nodes_resume). Its path is /proc/<slurmctld>/fd/N and goes away soon: the program copies
 * it before anything else (copyResumeFile), the worker reads the copy.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ResumeJob {
  job_id: number;
  partition?: string;
  /** the nodes of this job that are being resumed */
  nodes_resume?: string;
  nodes_alloc?: string;
  features?: string;
}

export interface ResumeInfo {
  /** every node being resumed (a hostlist) */
  all_nodes_resume: string;
  jobs: ResumeJob[];
}

export function parseResumeFile(text: string): ResumeInfo {
  const raw = JSON.parse(text) as Record<string, unknown>;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('SLURM_RESUME_FILE: not a JSON object');
  const all = raw.all_nodes_resume ?? raw.all_nodes;
  const jobs = Array.isArray(raw.jobs) ? raw.jobs : [];
  return {
    all_nodes_resume: typeof all === 'string' ? all : '',
    jobs: jobs
      .filter((j): j is Record<string, unknown> => !!j && typeof j === 'object')
      .map((j) => ({
        job_id: Number(j.job_id),
        partition: typeof j.partition === 'string' ? j.partition : undefined,
        nodes_resume: typeof (j.nodes_resume ?? j.nodes) === 'string' ? String(j.nodes_resume ?? j.nodes) : undefined,
        nodes_alloc: typeof j.nodes_alloc === 'string' ? j.nodes_alloc : undefined,
        features: typeof j.features === 'string' ? j.features : undefined,
      })),
  };
}

/** Copy the file slurmctld passed into stateDir (returns the copy's path, undefined when there is none). */
export function copyResumeFile(src: string | undefined, stateDir: string, id: string): string | undefined {
  if (!src) return undefined;
  let data: string;
  try {
    data = readFileSync(src, 'utf8');
  } catch {
    return undefined;
  }
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const dest = join(stateDir, `resume-${id}.json`);
  writeFileSync(dest, data, { mode: 0o600 });
  return dest;
}
