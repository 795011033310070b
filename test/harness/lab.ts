/**
 * Lab hosts for end-to-end tests. Typical use (each test file its own lab name):
 *
 *   let lab: Lab;
 *   beforeAll(async () => { lab = await startLab('files', { hosts: 2, sudo: 'mixed' }); });
 *   afterAll(() => stopLab('files'));          // runs even when startLab or a test failed
 *
 * startLab runs the lab CLI (`node dist/src/lab/main.js up ...`, i.e. `tsplay lab up`; `npm test` builds
 * dist first). It first removes whatever an aborted earlier run of the same lab left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { labExec } from '../../src/lab/manager.js';
import { SshConnection, targetFromVars, type ConnectionTarget } from '../../src/connection/index.js';
import { packageRoot } from '../../src/lab/paths.js';
import { readState, type LabState } from '../../src/lab/state.js';

export { featureGate, kernelFeatures, type FeatureGate } from './features.js';

export type SudoMode = 'nopasswd' | 'password';

export interface LabHost {
  name: string;
  ip: string;
  sudo: SudoMode;
}

export interface CmdResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface Lab {
  name: string;
  dir: string;
  /** Ansible YAML inventory (groups sudo_nopasswd, sudo_password) */
  inventory: string;
  knownHosts: string;
  /** private key of user ops */
  key: string;
  /** for `ssh -F` */
  sshConfig: string;
  subnet: string;
  bridge: string;
  hosts: LabHost[];
  host(name: string): LabHost;
  /** `sh -c cmd` as root inside the host (nsenter, no ssh) */
  exec(host: string, cmd: string, opts?: { input?: string }): Promise<CmdResult>;
  /** `cmd` as ops over OpenSSH with the lab key, strict host key checking against knownHosts */
  ssh(host: string, cmd: string, opts?: { input?: string }): Promise<CmdResult>;
  /** "reboot" hosts: processes killed, disk + address kept; resolves when sshd answers again */
  restart(...hosts: string[]): Promise<void>;
  /** remove the lab (idempotent) */
  down(): Promise<void>;
  /** the raw state (state.json) */
  state: LabState;
}

export interface StartOptions {
  /** N → node1..nodeN, or explicit host names */
  hosts: number | string[];
  sudo?: SudoMode | 'mixed';
}

function run(cmd: string, args: string[], input?: string, env?: Record<string, string>): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ rc: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** Run the lab CLI (tsplay lab ...) in a child process (env: extra variables, e.g. TSPLAY_LAB_DIR). */
export function labCli(args: string[], env?: Record<string, string>): Promise<CmdResult> {
  const entry = join(packageRoot(), 'dist', 'src', 'lab', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} missing: run npm run build`);
  return run(process.execPath, [entry, ...args], undefined, env);
}

async function cliOk(args: string[]): Promise<string> {
  const r = await labCli(args);
  if (r.rc !== 0) throw new Error(`tsplay lab ${args.join(' ')} failed (rc ${r.rc}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The real lab name: $TSPLAY_TEST_LAB_PREFIX + name, so that two checkouts running the same test file on one
 * machine never share a lab (lab names are global: netns names contain them).
 */
export function testLabName(name: string): string {
  return (process.env.TSPLAY_TEST_LAB_PREFIX ?? '') + name;
}

export async function startLab(name: string, opts: StartOptions): Promise<Lab> {
  name = testLabName(name);
  const hosts = typeof opts.hosts === 'number' ? [String(opts.hosts)] : opts.hosts;
  await cliOk(['up', '--name', name, '--sudo', opts.sudo ?? 'nopasswd', ...hosts]);
  const state = readState(name);
  if (!state) throw new Error(`lab ${name}: no state.json after up`);
  const lab: Lab = {
    name,
    dir: state.dir,
    inventory: state.inventory,
    knownHosts: state.knownHosts,
    key: state.key,
    sshConfig: state.sshConfig,
    subnet: state.subnet,
    bridge: state.bridge,
    hosts: state.hosts.map((h) => ({ name: h.name, ip: h.ip, sudo: h.sudo })),
    state,
    host(h) {
      const found = lab.hosts.find((x) => x.name === h);
      if (!found) throw new Error(`lab ${name} has no host ${h}`);
      return found;
    },
    async exec(h, cmd, o = {}) {
      const r = await labExec(name, h, ['/bin/sh', '-c', cmd], { input: o.input });
      return { rc: r.rc, stdout: r.stdout, stderr: r.stderr };
    },
    ssh(h, cmd, o = {}) {
      return run('ssh', ['-F', state.sshConfig, '-o', 'ConnectTimeout=10', h, cmd], o.input);
    },
    async restart(...hs) {
      await cliOk(['restart', '--name', name, ...hs]);
    },
    down: async () => {
      await cliOk(['down', '--name', name]);
    },
  };
  return lab;
}

/** Remove a lab by name (no error when there is none): safe in afterAll. */
export async function stopLab(name: string): Promise<void> {
  await cliOk(['down', '--name', testLabName(name)]);
}

/**
 * The ssh target of a lab host as the lab inventory describes it (user ops, the lab key, strict host key
 * checking against the lab's known_hosts, the sudo password on password hosts); no agent, no global files.
 */
export function labTarget(lab: Lab, hostName: string, extraVars: Record<string, unknown> = {}): ConnectionTarget {
  const h = lab.host(hostName);
  const t = targetFromVars(h.name, {
    ansible_host: h.ip,
    ansible_user: 'ops',
    ansible_ssh_private_key_file: lab.key,
    ansible_ssh_common_args: `-o UserKnownHostsFile=${lab.knownHosts}`,
    ...(h.sudo === 'password' ? { ansible_become_password: 'ops-pass' } : {}),
    ...extraVars,
  });
  return { ...t, agent: undefined, globalKnownHostsFiles: [] };
}

/** A connected ssh2 connection to a lab host (close it in afterAll). */
export async function connectLabHost(lab: Lab, hostName: string): Promise<SshConnection> {
  const c = new SshConnection(labTarget(lab, hostName));
  await c.connect();
  return c;
}

/** The host's overlay upper directory on this machine: every file the host wrote (its tmpfs mounts excepted). */
export function upperDir(lab: Lab, hostName: string): string {
  return join(lab.dir, 'hosts', lab.host(hostName).name, 'upper');
}
