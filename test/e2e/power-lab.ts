/**
 * The power-saving lab of test/e2e/power-cycle.test.ts (and bench/power.mjs through it): a real Slurm 22.05
 * controller `ctl` (munge + slurmctld) whose ResumeProgram/SuspendProgram/ResumeFailProgram are tsplay's
 * launcher, installed by playbooks/slurm-controller.yml; two Azure CLOUD nodes `cloud1`, `cloud2` (bench/power.mjs:
 * cloud1..cloudN) and one AWS CLOUD node `aws1` (partition aws) that start "deallocated" (sshd, munge, slurmd down).
 *
 * The cloud is the az RECORDING STAND-IN (test/fixtures/image/standin/az.mjs), installed inside ctl where
 * slurmctld runs the launcher. A process inside a lab host cannot reach the lab's host side, so the stand-in
 * drops a request file for every `az vm start|deallocate` (and the aws RECORDING STAND-IN for every `aws ec2
 * start-instances|stop-instances`, test/fixtures/image/standin/aws.mjs) in its directory inside ctl; this module reads them
 * from ctl's overlay upper directory (host side) and starts or stops the node's sshd (start) or slurmd, munge
 * and sshd (deallocate) with `tsplay lab exec`. The playbook (test/fixtures/power/cloudnode-lab.yml) then
 * writes the munge key and slurm.conf and starts munge and slurmd over SSH, as on a real VM.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/lab/paths.js';
import { startLab, upperDir, type Lab } from '../harness/lab.js';

export const LAB_NAME = 'power';
export const ROOT = packageRoot();
const STANDIN_DIR = '/var/lib/tsplay-standin';
export const LAUNCHER = '/usr/local/sbin/tsplay-power';
export const POWER_LOG = '/var/log/tsplay/power.jsonl';
const INVENTORY = '/etc/tsplay/inventory.yml';
/** the AWS node's EC2 instance (the aws RECORDING STAND-IN's record) */
export const AWS_INSTANCE = 'i-0aa0000000000aa01';

export interface PowerLabOptions {
  /** Azure CLOUD nodes cloud1..cloudN (default 2) */
  nodes?: number;
  /** one AWS CLOUD node `aws1` in partition `aws` (default true) */
  aws?: boolean;
  /** Slurm's ResumeTimeout and tsplay's resume deadline (default 60 / 45 s), power_concurrency (default 4) */
  resumeTimeout?: number;
  resumeDeadline?: number;
  concurrency?: number;
}

export interface PowerRecord {
  t: string;
  op: string;
  run: string;
  step: string;
  outcome: string;
  node?: string;
  error?: string;
  [k: string]: unknown;
}

export interface Served {
  t: number;
  action: 'start' | 'deallocate';
  vm: string;
  host: string;
  rc: number;
}

function sh(cmd: string, timeoutMs = 120_000): Promise<{ rc: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', cmd], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ rc: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const NODE_HW = { CPUs: 2, Boards: 1, SocketsPerBoard: 1, CoresPerSocket: 2, ThreadsPerCore: 1, RealMemory: 1000 };

export class PowerLab {
  readonly served: Served[] = [];
  private timer?: NodeJS.Timeout;
  private seen = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private tmp = mkdtempSync(join(tmpdir(), 'tsplay-power-'));

  readonly azureNodes: string[];
  readonly awsNodes: string[];

  private constructor(
    readonly lab: Lab,
    private readonly opts: PowerLabOptions,
  ) {
    this.azureNodes = Array.from({ length: opts.nodes ?? 2 }, (_, i) => `cloud${i + 1}`);
    this.awsNodes = opts.aws === false ? [] : ['aws1'];
  }

  get nodes(): string[] {
    return [...this.azureNodes, ...this.awsNodes];
  }

  ip(h: string): string {
    return this.lab.host(h).ip;
  }

  /** root shell inside a lab host; throws on rc != 0 unless ok */
  async x(host: string, cmd: string, o: { input?: string; ok?: boolean } = {}): Promise<string> {
    const r = await this.lab.exec(host, cmd, { input: o.input });
    if (r.rc !== 0 && !o.ok) throw new Error(`${host}: ${cmd.slice(0, 120)}: rc=${r.rc}: ${(r.stderr || r.stdout).trim().slice(0, 800)}`);
    return r.stdout;
  }

  async put(host: string, path: string, content: string, mode: string, owner = 'root:root'): Promise<void> {
    const b64 = Buffer.from(content).toString('base64');
    await this.x(
      host,
      `set -e; mkdir -p "$(dirname '${path}')"; base64 -d > '${path}.new'; chown ${owner} '${path}.new'; chmod ${mode} '${path}.new'; mv '${path}.new' '${path}'`,
      { input: b64 },
    );
  }

  static async start(opts: PowerLabOptions = {}): Promise<PowerLab> {
    const n = opts.nodes ?? 2;
    const hosts = ['ctl', ...Array.from({ length: n }, (_, i) => `cloud${i + 1}`), ...(opts.aws === false ? [] : ['aws1'])];
    const lab = await startLab(n === 2 ? LAB_NAME : `${LAB_NAME}${n}`, { hosts, sudo: 'nopasswd' });
    const pl = new PowerLab(lab, opts);
    await pl.setup();
    return pl;
  }

  private async copyTar(host: string, srcDir: string, files: string[], dest: string): Promise<void> {
    const r = await sh(
      `tar -C '${srcDir}' -chf - ${files.map((f) => `'${f}'`).join(' ')} | ssh -F '${this.lab.sshConfig}' -o ConnectTimeout=10 ${host} "sudo mkdir -p '${dest}' && sudo tar -C '${dest}' -xf - --no-same-owner"`,
    );
    if (r.rc !== 0) throw new Error(`copy to ${host}:${dest}: ${r.stderr}`);
  }

  inventoryText(broken: string[] = [], noBoot: string[] = []): string {
    const host = (n: string) =>
      `        ${n}: { ansible_host: ${this.ip(n)}, ${this.awsNodes.includes(n) ? `aws_instance_id: ${AWS_INSTANCE}, aws_region: eu-west-1` : `azure_vm_name: vm-${n}, azure_resource_group: rg-burst`}${broken.includes(n) ? ', lab_break_playbook: true' : ''}${noBoot.includes(n) ? ', lab_no_boot_flag: true' : ''} }\n`;
    return (
      `# the lab's power inventory: one host per Slurm node, its VM by name (written by test/e2e/power-lab.ts)\n` +
      `all:\n  children:\n    cloud_nodes:\n      vars:\n        ansible_user: ops\n        ansible_ssh_private_key_file: /etc/tsplay/power/id_ed25519\n` +
      `        ansible_ssh_common_args: -o UserKnownHostsFile=/etc/tsplay/power/known_hosts\n        lab_files: /etc/tsplay/power/files\n      hosts:\n` +
      this.nodes.map(host).join('')
    );
  }

  /** broken: the playbook fails there; noBoot: slurmd starts without -b (never registers: ResumeTimeout) */
  async setInventory(broken: string[] = [], noBoot: string[] = []): Promise<void> {
    await this.put('ctl', INVENTORY, this.inventoryText(broken, noBoot), '0640', 'root:slurm');
  }

  private async setup(): Promise<void> {
    const NODES = this.nodes;
    const [ctl, c1, c2] = [this.ip('ctl'), this.ip('cloud1'), this.ip(this.azureNodes[1] ?? 'cloud1')];
    const hosts = `127.0.0.1\tlocalhost\n${ctl}\tctl\n${NODES.map((n) => `${this.ip(n)}\t${n}\n`).join('')}::1\tlocalhost ip6-localhost ip6-loopback\n`;
    const key = randomBytes(1024).toString('base64');
    const conf = readFileSync(join(ROOT, 'test/fixtures/power/slurm.conf'), 'utf8')
      .replaceAll('@CTL_IP@', ctl)
      .replaceAll('@CLOUD1_IP@', c1)
      .replaceAll('@CLOUD2_IP@', c2);
    const cgroup = readFileSync(join(ROOT, 'test/fixtures/power/cgroup.conf'), 'utf8');
    for (const h of ['ctl', ...NODES]) await this.put(h, '/etc/hosts', hosts, '0644');
    // the nodes are "deallocated": nothing runs there until the stand-in starts the VM
    for (const h of NODES)
      await this.x(h, '/etc/init.d/ssh stop >/dev/null 2>&1; /etc/init.d/munge stop >/dev/null 2>&1; /etc/init.d/slurmd stop >/dev/null 2>&1; true');
    // controller: munge key (also a copy the playbook installs on nodes), slurm.conf, cgroup.conf
    await this.x(
      'ctl',
      `set -e; base64 -d > /etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 0400 /etc/munge/munge.key
      mkdir -p /etc/tsplay/power/files; cp /etc/munge/munge.key /etc/tsplay/power/files/munge.key; chown -R slurm:slurm /etc/tsplay/power; chmod 0700 /etc/tsplay/power /etc/tsplay/power/files; chmod 0600 /etc/tsplay/power/files/munge.key`,
      { input: key },
    );
    await this.put('ctl', '/etc/slurm/slurm.conf', conf, '0644');
    await this.put('ctl', '/etc/slurm/cgroup.conf', cgroup, '0644');
    // node + tsplay (the bundle) + the az RECORDING STAND-IN inside the controller
    await this.copyTar('ctl', '/usr/bin', ['node'], '/usr/local/bin');
    await this.copyTar('ctl', ROOT, ['bin/tsplay.js', 'dist/tsplay.cjs', 'package.json'], '/opt/tsplay');
    await this.copyTar('ctl', join(ROOT, 'test/fixtures/image/standin'), ['az.mjs', 'aws.mjs', 'standin-args.mjs'], '/opt/tsplay-standin');
    await this.put(
      'ctl',
      '/opt/tsplay-standin/bin/aws',
      `#!/bin/sh\n# RECORDING STAND-IN for aws (lab): not AWS\nTSPLAY_STANDIN_STATE=${STANDIN_DIR}/aws-state.json TSPLAY_STANDIN_LOG=${STANDIN_DIR}/aws-calls.jsonl exec /usr/local/bin/node /opt/tsplay-standin/aws.mjs "$@"\n`,
      '0755',
    );
    await this.put(
      'ctl',
      '/opt/tsplay-standin/bin/az',
      `#!/bin/sh\n# RECORDING STAND-IN for az (lab): not Azure\nTSPLAY_STANDIN_STATE=${STANDIN_DIR}/state.json TSPLAY_STANDIN_LOG=${STANDIN_DIR}/calls.jsonl exec /usr/local/bin/node /opt/tsplay-standin/az.mjs "$@"\n`,
      '0755',
    );
    const state = {
      loggedIn: true,
      account: {
        id: '00000000-0000-0000-0000-00000000c0de',
        name: 'lab-subscription',
        tenantId: '11111111-1111-1111-1111-111111111111',
        user: 'sp-tsplay-power',
      },
      resourceGroups: { 'rg-burst': { location: 'westeurope' } },
      vms: Object.fromEntries(this.azureNodes.map((n) => [`rg-burst/vm-${n}`, { location: 'westeurope', power: 'deallocated' }])),
      images: {},
      transitionPolls: 1,
      powerRequests: `${STANDIN_DIR}/requests`,
    };
    await this.x('ctl', `mkdir -p ${STANDIN_DIR}/requests && : > ${STANDIN_DIR}/calls.jsonl && chown -R slurm:slurm ${STANDIN_DIR}`);
    await this.put('ctl', `${STANDIN_DIR}/state.json`, JSON.stringify(state, null, 2), '0644', 'slurm:slurm');
    // the AWS node's instance: stopped (EC2's deallocated); start/stop drop request files in the same directory
    const awsState = {
      defaultRegion: 'eu-west-1',
      images: {},
      instances: Object.fromEntries(this.awsNodes.map((n) => [AWS_INSTANCE, { name: `vm-${n}`, state: 'stopped' }])),
      transitionPolls: 1,
      powerRequests: `${STANDIN_DIR}/requests`,
    };
    await this.x('ctl', `: > ${STANDIN_DIR}/aws-calls.jsonl && chown slurm:slurm ${STANDIN_DIR}/aws-calls.jsonl`);
    await this.put('ctl', `${STANDIN_DIR}/aws-state.json`, JSON.stringify(awsState, null, 2), '0644', 'slurm:slurm');
    // the slurm user's ssh key to the nodes (the lab's ops key) + their host keys
    await this.put('ctl', '/etc/tsplay/power/id_ed25519', readFileSync(this.lab.key, 'utf8'), '0600', 'slurm:slurm');
    await this.put('ctl', '/etc/tsplay/power/known_hosts', readFileSync(this.lab.knownHosts, 'utf8'), '0644', 'slurm:slurm');
    await this.setInventory();
    await this.put('ctl', '/etc/tsplay/playbooks/cloudnode-lab.yml', readFileSync(join(ROOT, 'test/fixtures/power/cloudnode-lab.yml'), 'utf8'), '0644');
    // playbooks/slurm-controller.yml installs the launcher, config, log dir, credentials, and (slurm_conf, slurmctld not yet running: written, read at its start) power.conf
    const azureList = `cloud[1-${this.azureNodes.length}]`;
    const vars = {
      power_slurm_user: 'slurm',
      power_node: '/usr/local/bin/node',
      power_tsplay: '/opt/tsplay/bin/tsplay.js',
      power_launcher: LAUNCHER,
      power_config: '/etc/tsplay/power.yml',
      power_path: '/opt/tsplay-standin/bin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      power_home: '/var/lib/tsplay/home',
      power_azure_config_dir: '/var/lib/tsplay/home/.azure',
      power_azure_subscription: '',
      power_azure_poll_interval: 0.5,
      power_aws_poll_interval: 0.5,
      power_azure_credentials: '{"lab": "the stand-in needs no credentials; a site puts its service principal here, from the vault"}',
      power_inventory: INVENTORY,
      power_playbook: '/etc/tsplay/playbooks/cloudnode-lab.yml',
      power_extra_vars: {},
      power_log_dir: '/var/log/tsplay',
      power_log_rotate: 2,
      power_state_dir: '/var/lib/tsplay/power',
      power_concurrency: this.opts.concurrency ?? 4,
      power_resume_deadline: this.opts.resumeDeadline ?? 45,
      power_suspend_deadline: 60,
      power_fail_backoff: 8,
      power_fail_backoff_max: 30,
      power_retry_attempts: 4,
      power_retry_base: 0.5,
      power_retry_max: 2,
      power_slurmd_stop: '/etc/init.d/slurmd stop',
      power_slurm_include: '/etc/slurm/power.conf',
      power_resume_timeout: this.opts.resumeTimeout ?? 60,
      power_suspend_timeout: 15,
      power_resume_rate: 0,
      power_suspend_rate: 0,
      power_suspend_time: null,
      power_suspend_exc_nodes: '',
      power_slurm_conf: '/etc/slurm/slurm.conf',
      // the typed NodeName/PartitionName lines of slurm_conf (playbooks/slurm-controller.yml passes them on)
      power_cloud_nodes: [
        { name: azureList, NodeAddr: this.azureNodes.map((n) => this.ip(n)).join(','), ...NODE_HW },
        ...this.awsNodes.map((n) => ({ name: n, NodeAddr: this.ip(n), Feature: ['aws'], ...NODE_HW })),
      ],
      power_partitions: [
        { name: 'cloud', nodes: azureList, Default: true, MaxTime: 'INFINITE', State: 'UP', SuspendTime: 20 },
        ...(this.awsNodes.length ? [{ name: 'aws', nodes: this.awsNodes.join(','), MaxTime: 'INFINITE', State: 'UP', SuspendTime: 20 }] : []),
      ],
    };
    writeFileSync(join(this.tmp, 'vars.json'), JSON.stringify(vars));
    writeFileSync(join(this.tmp, 'controllers.yml'), 'all:\n  children:\n    slurm_controllers:\n      hosts:\n        ctl: {}\n');
    const run = await sh(
      `cd '${ROOT}' && node bin/tsplay.js run playbooks/slurm-controller.yml -i '${this.lab.inventory}' -i '${join(this.tmp, 'controllers.yml')}' -e @'${join(this.tmp, 'vars.json')}'`,
      180_000,
    );
    if (run.rc !== 0) throw new Error(`playbooks/slurm-controller.yml failed (rc ${run.rc}):\n${run.stdout.slice(-3000)}\n${run.stderr.slice(-2000)}`);
    this.controllerRun = run.stdout;
    // "reboot" the controller with munge + slurmctld
    await this.put('ctl', '/etc/lab/services', 'ssh\nmunge\nslurmctld\n', '0644');
    await this.lab.restart('ctl');
    for (let i = 0; i < 100; i++) {
      if ((await this.lab.exec('ctl', 'scontrol ping')).stdout.includes('is UP')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    this.serve();
  }

  controllerRun = '';

  /** Serve the stand-in's power requests (in order, one at a time). */
  private serve(): void {
    const dir = join(upperDir(this.lab, 'ctl'), STANDIN_DIR.slice(1), 'requests');
    this.timer = setInterval(() => {
      if (!existsSync(dir)) return;
      for (const f of readdirSync(dir).sort()) {
        if (!f.endsWith('.req') || this.seen.has(f)) continue;
        this.seen.add(f);
        let req: { action: 'start' | 'deallocate'; vm: string };
        try {
          req = JSON.parse(readFileSync(join(dir, f), 'utf8')) as typeof req;
        } catch {
          this.seen.delete(f); // not fully written yet
          continue;
        }
        const host = req.vm.replace(/^vm-/, '');
        this.chain = this.chain.then(async () => {
          const cmd =
            req.action === 'start' ? '/etc/init.d/ssh start' : '/etc/init.d/slurmd stop; /etc/init.d/munge stop; /etc/init.d/ssh stop; pkill -u ops; true';
          const r = await this.lab.exec(host, `${cmd} >/dev/null 2>&1`);
          this.served.push({ t: Date.now(), action: req.action, vm: req.vm, host, rc: r.rc });
        });
      }
    }, 100);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.chain.catch(() => undefined);
    rmSync(this.tmp, { recursive: true, force: true });
  }

  async powerLog(): Promise<PowerRecord[]> {
    const text = await this.x('ctl', `cat ${POWER_LOG} 2>/dev/null`, { ok: true });
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as PowerRecord);
  }

  async standinCalls(): Promise<{ t: number; argv: string[] }[]> {
    const text = await this.x('ctl', `cat ${STANDIN_DIR}/calls.jsonl`, { ok: true });
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { t: number; argv: string[] })
      .filter((c) => Array.isArray(c.argv));
  }

  async awsCalls(): Promise<string[][]> {
    const text = await this.x('ctl', `cat ${STANDIN_DIR}/aws-calls.jsonl`, { ok: true });
    return text
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { argv?: string[] })
      .flatMap((c) => (Array.isArray(c.argv) ? [c.argv] : []));
  }

  /** the AWS node's EC2 state in the stand-in */
  async instanceState(): Promise<string> {
    const s = JSON.parse(await this.x('ctl', `cat ${STANDIN_DIR}/aws-state.json`)) as { instances: Record<string, { state: string }> };
    return s.instances[AWS_INSTANCE]!.state;
  }

  async vmPower(node: string): Promise<string> {
    const s = JSON.parse(await this.x('ctl', `cat ${STANDIN_DIR}/state.json`)) as { vms: Record<string, { power: string }> };
    return s.vms[`rg-burst/vm-${node}`]!.power;
  }

  /** change the stand-in's VM record (failStart, throttle...) under its lock */
  async setVm(node: string, patch: Record<string, unknown>): Promise<void> {
    const js = `const fs=require('fs');const f='${STANDIN_DIR}/state.json';const l=f+'.lock';for(;;){try{fs.mkdirSync(l);break}catch{}}try{const s=JSON.parse(fs.readFileSync(f,'utf8'));Object.assign(s.vms['rg-burst/vm-${node}'],${JSON.stringify(patch)});fs.writeFileSync(f+'.t',JSON.stringify(s,null,2));fs.renameSync(f+'.t',f)}finally{fs.rmSync(l,{recursive:true})}`;
    await this.x('ctl', `runuser -u slurm -- /usr/local/bin/node -e "${js.replace(/"/g, '\\"')}"`);
  }

  async node(node: string): Promise<{ state: string; reason: string; line: string }> {
    const line = (await this.x('ctl', `scontrol -o show node ${node}`, { ok: true })).trim();
    return { state: /\bState=(\S+)/.exec(line)?.[1] ?? '?', reason: /\bReason=(.*?)(?: \w+=|$)/.exec(line)?.[1] ?? '', line };
  }

  async job(id: string): Promise<{ state: string; line: string }> {
    const line = (await this.x('ctl', `scontrol -o show job ${id}`, { ok: true })).trim();
    return { state: /\bJobState=(\S+)/.exec(line)?.[1] ?? 'GONE', line };
  }

  /** sbatch as ops on the controller; the job id */
  async submit(args: string): Promise<string> {
    const out = await this.x('ctl', `cd /tmp && runuser -u ops -- sbatch --parsable ${args}`);
    return out.trim().split(';')[0]!;
  }

  /** what slurmctld does: the launcher as SlurmUser with only SLURM_CONF in the environment */
  async callLauncher(op: 'resume' | 'suspend' | 'fail', hostlist: string): Promise<void> {
    await this.x('ctl', `runuser -u slurm -- env -i SLURM_CONF=/etc/slurm/slurm.conf ${LAUNCHER}-${op} '${hostlist}'`);
  }

  async until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined | false>, everyMs = 250): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async diagnostics(): Promise<string> {
    const parts = [
      await this.x('ctl', 'tail -n 60 /var/log/slurm/slurmctld.log', { ok: true }),
      await this.x('ctl', `tail -n 80 ${POWER_LOG}`, { ok: true }),
      await this.x('ctl', 'tail -n 30 /var/log/tsplay/power-worker.out', { ok: true }),
      await this.x('ctl', 'sinfo -N; squeue', { ok: true }),
    ];
    return parts.join('\n----\n');
  }
}
