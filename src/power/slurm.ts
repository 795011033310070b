/**
 * What the power program asks of Slurm, with scontrol: expand hostlists (tsplay's own parser, lib/hostlist.ts,
 * is the Slurm grammar), read node states, and set a node DOWN with a reason (so slurmctld requeues its job at
 * once, not after ResumeTimeout) or back to service.
 */
import { execLocal } from './exec.js';
import type { PowerLog } from './log.js';

export interface NodeState {
  node: string;
  /** the State= field split on '+': ['IDLE', 'CLOUD', 'POWERED_DOWN'] */
  flags: string[];
  reason?: string;
}

/** `scontrol show node -o` lines → states (whole-token flags, never substring tests). */
export function parseShowNode(text: string): NodeState[] {
  const out: NodeState[] = [];
  for (const line of text.split('\n')) {
    const n = /(?:^|\s)NodeName=(\S+)/.exec(line);
    if (!n) continue;
    const st = /(?:^|\s)State=(\S+)/.exec(line);
    const reason = /(?:^|\s)Reason=(.*?)(?:\s+\w+=|$)/.exec(line);
    out.push({ node: n[1]!, flags: st ? st[1]!.split('+').filter(Boolean) : [], reason: reason && reason[1] !== '(null)' ? reason[1] : undefined });
  }
  return out;
}

/** A reason Slurm keeps on one line (no quotes, no newlines), at most ~200 characters. */
export function slurmReason(text: string): string {
  return text
    .replace(/["'\n\r\t]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

export class Slurm {
  constructor(
    private readonly scontrol: string,
    private readonly log: PowerLog,
  ) {}

  private async call(node: string | undefined, args: string[]): Promise<{ rc: number; stdout: string; stderr: string }> {
    const r = await execLocal(this.scontrol, args, { timeoutMs: 30_000 });
    this.log.write({
      step: 'scontrol',
      node,
      outcome: r.rc === 0 ? 'ok' : 'fail',
      rc: r.rc,
      ms: r.ms,
      argv: ['scontrol', ...args],
      ...(r.rc ? { error: (r.stderr || r.stdout).trim().slice(0, 300) } : {}),
    });
    return r;
  }

  async down(node: string, reason: string): Promise<boolean> {
    const r = await this.call(node, ['update', `nodename=${node}`, 'state=down', `reason=${slurmReason(reason)}`]);
    return r.rc === 0;
  }

  /** A note on the job (`scontrol show job` AdminComment): why its node did not come up. */
  async jobComment(node: string, jobId: number, text: string): Promise<boolean> {
    const r = await this.call(node, ['update', `jobid=${jobId}`, `admincomment=${slurmReason(text)}`]);
    return r.rc === 0;
  }

  /** Tell Slurm the node is off now (DOWN stays, POWERING_UP ends): `state=power_down_force`. */
  async poweredDown(node: string): Promise<boolean> {
    const r = await this.call(node, ['update', `nodename=${node}`, 'state=power_down_force']);
    return r.rc === 0;
  }

  async resumeNode(node: string): Promise<boolean> {
    const r = await this.call(node, ['update', `nodename=${node}`, 'state=resume']);
    return r.rc === 0;
  }

  async showNodes(hostlist: string): Promise<NodeState[]> {
    const r = await this.call(undefined, ['-o', 'show', 'node', hostlist]);
    return parseShowNode(r.stdout);
  }
}
