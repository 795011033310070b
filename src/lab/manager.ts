/**
 * tsplay lab: bring named labs of disposable Debian 12 hosts up and down. The namespace mechanics live
 * in lab.sh (shipped next to this file); this module allocates, records state and writes the files
 * users need (inventory.yml, known_hosts, ssh_config).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TsplayError } from '../errors.js';
import { labKernelFeatures, type KernelFeatures } from './features.js';
import { ensureRootfs } from './image.js';
import { writeLabFiles } from './inventory.js';
import { bridgeIp, bridgeName, checkHostName, checkLabName, hostIp, netnsName, subnet, sudoFor, vethName, type SudoChoice } from './names.js';
import { LAB_MARKER, labDir, labScript, labsRoot } from './paths.js';
import { runProc, type ProcResult } from './run.js';
import { hostPid, labBridges, labDirs, readState, statePath, writeState, type LabHostState, type LabState } from './state.js';
import { waitForSsh } from './wait-ssh.js';

type Log = (line: string) => void;

export interface UpOptions {
  name: string;
  hosts: string[];
  sudo?: SudoChoice;
  log?: Log;
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new TsplayError('lab', 'tsplay lab needs root (namespaces, mounts, bridges)');
}

function labEnv(name: string, dir = labDir(name), extra: Record<string, string> = {}): Record<string, string> {
  return { LAB_NAME: name, LAB_DIR: dir, ...extra };
}

async function labSh(args: string[], env: Record<string, string>, what: string): Promise<ProcResult> {
  const r = await runProc('bash', [labScript('lab.sh'), ...args], { env });
  if (r.rc !== 0) throw new TsplayError('lab', `${what}: ${r.stderr.trim() || `lab.sh ${args[0]} exited ${r.rc}`}`);
  return r;
}

/** Refuse a name that a live lab under another labs root (TSPLAY_LAB_DIR) already uses. */
function checkNameFree(name: string, dir: string): void {
  const other = labBridges().find((b) => b.name === name && b.dir !== dir);
  if (other) throw new TsplayError('lab', `lab name '${name}' is in use by ${other.dir} (${other.bridge})`);
}

/**
 * Bring a lab up from scratch: whatever an earlier run of the same lab left behind (hosts, dead PID 1s,
 * netns, veths, mounts, dirs) is removed first, so every up starts from clean disks.
 */
export async function labUp(opts: UpOptions): Promise<LabState> {
  requireRoot();
  const name = checkLabName(opts.name);
  const hosts = opts.hosts.map(checkHostName);
  const dir = labDir(name);
  checkNameFree(name, dir);
  const features = labFeatures();
  const image = await ensureRootfs({ log: opts.log });
  await labTeardown(name, dir);
  mkdirSync(join(dir, 'hosts'), { recursive: true });
  writeFileSync(join(dir, LAB_MARKER), `tsplay lab ${name}\n`);
  const key = join(dir, 'id_ed25519');
  try {
    const kg = await runProc('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `tsplay-lab-${name}`, '-f', key]);
    if (kg.rc !== 0) throw new TsplayError('lab', `ssh-keygen failed: ${kg.stderr.trim()}`);
    const k = Number((await labSh(['alloc'], labEnv(name, dir), 'allocating a lab subnet')).stdout.trim());
    const hostStates: LabHostState[] = hosts.map((h, j) => ({
      name: h,
      index: j + 1,
      ip: hostIp(k, j + 1),
      sudo: sudoFor(opts.sudo ?? 'nopasswd', j + 1),
      netns: netnsName(name, h),
      veth: vethName(k, j + 1),
    }));
    const state: LabState = {
      name,
      dir,
      index: k,
      bridge: bridgeName(k),
      subnet: subnet(k),
      gateway: bridgeIp(k),
      rootfs: image.rootfs,
      key,
      knownHosts: join(dir, 'known_hosts'),
      inventory: join(dir, 'inventory.yml'),
      sshConfig: join(dir, 'ssh_config'),
      hosts: hostStates,
      createdAt: new Date().toISOString(),
      features,
    };
    writeState(state);
    writeFileSync(join(dir, 'hosts.txt'), hostStates.map((h) => `${h.ip}\t${h.name}.lab.test ${h.name}\n`).join(''));
    const env = labEnv(name, dir, { LAB_K: String(k), LAB_BASE: image.rootfs, LAB_KEY: key });
    await labSh(['up', ...hostStates.map((h) => `${h.name}:${h.index}:${h.sudo}`)], env, `starting lab '${name}'`);
    await requireSsh(state, hostStates);
    writeLabFiles(state);
    return state;
  } catch (e) {
    await labTeardown(name, dir).catch(() => {});
    throw e;
  }
}

/**
 * The kernel features the lab's hosts will have (they share this kernel); a loadable autofs module is
 * loaded here (see LAB_LOADS). No overlay: no lab.
 */
function labFeatures(): KernelFeatures {
  const k = labKernelFeatures();
  const o = k.features.overlay;
  if (o.state === 'no') throw new TsplayError('lab', `the kernel ${k.kernel} has no overlay filesystem (${o.detail}): lab hosts cannot start`);
  return k;
}

async function requireSsh(s: LabState, hosts: LabHostState[]): Promise<void> {
  const late = await waitForSsh(hosts.map((h) => h.ip));
  if (late.length) {
    const names = hosts.filter((h) => late.includes(h.ip)).map((h) => h.name);
    throw new TsplayError('lab', `sshd did not come up on ${names.join(', ')}`, {
      hint: `see ${join(s.dir, 'hosts', names[0]!, 'console.log')} and root/var/log/lab-init.log`,
    });
  }
}

/** Remove everything of one lab (no error if there is nothing). */
async function labTeardown(name: string, dir: string): Promise<void> {
  await labSh(['teardown'], labEnv(name, dir), `tearing down lab '${name}'`);
}

/** Returns false when there was no such lab. */
export async function labDown(name: string): Promise<boolean> {
  requireRoot();
  checkLabName(name);
  const dir = labDir(name);
  const existed = existsSync(dir) || labBridges().some((b) => b.dir === dir);
  await labTeardown(name, dir);
  return existed;
}

/**
 * Tear down every lab under the labs root (/tmp/tsplay-lab, or $TSPLAY_LAB_DIR), then whatever tsplay
 * netns/veth/bridge belongs to no live lab at all (e.g. left after its directory was deleted).
 */
export async function labDownAll(): Promise<string[]> {
  requireRoot();
  const root = labsRoot();
  const seen = new Map<string, string>();
  for (const b of labBridges()) if (b.dir && dirname(b.dir) === root) seen.set(b.dir, b.name);
  for (const d of labDirs()) seen.set(d, basename(d));
  for (const [dir, name] of seen) await labTeardown(name, dir);
  await labSh(['teardown-orphans'], labEnv('-', '/nonexistent'), 'removing orphaned lab objects');
  return [...seen.values()];
}

export function getLab(name: string): LabState {
  checkLabName(name);
  const s = readState(name);
  if (!s) throw new TsplayError('lab', `no lab '${name}' under ${labsRoot()}`, { hint: `tsplay lab up --name ${name} N` });
  return s;
}

function getHost(s: LabState, host: string): LabHostState {
  const h = s.hosts.find((x) => x.name === host);
  if (!h) throw new TsplayError('lab', `lab '${s.name}' has no host '${host}' (hosts: ${s.hosts.map((x) => x.name).join(' ')})`);
  return h;
}

export interface HostStatus extends LabHostState {
  pid?: number;
  up: boolean;
}

export function labHostStatus(s: LabState): HostStatus[] {
  return s.hosts.map((h) => {
    const pid = hostPid(s.dir, h);
    return { ...h, pid, up: pid !== undefined };
  });
}

/** All labs with state under the labs root. */
export function listLabs(): LabState[] {
  return labDirs()
    .filter((d) => existsSync(statePath(d)))
    .map((d) => readState(basename(d)))
    .filter((s): s is LabState => s !== undefined);
}

/** "Reboot" hosts: every process killed, disk (overlay upper) and address kept, started again. */
export async function labRestart(name: string, hosts: string[]): Promise<void> {
  requireRoot();
  const s = getLab(name);
  const hs = hosts.map((h) => getHost(s, h));
  const env = labEnv(name, s.dir, { LAB_K: String(s.index), LAB_BASE: s.rootfs, LAB_KEY: s.key });
  await labSh(['stop', ...hosts], env, 'stopping hosts');
  await labSh(['start', ...hosts], env, 'starting hosts');
  await requireSsh(s, hs);
}

export interface ExecOptions {
  /** pass our terminal through (interactive) instead of capturing output */
  inherit?: boolean;
  input?: string;
}

/**
 * Run `argv` as root inside a host (nsenter into all its namespaces, capabilities dropped as for PID 1).
 * With no argv: an interactive login shell.
 */
export async function labExec(name: string, host: string, argv: string[], opts: ExecOptions = {}): Promise<ProcResult> {
  requireRoot();
  const s = getLab(name);
  const h = getHost(s, host);
  if (hostPid(s.dir, h) === undefined) throw new TsplayError('lab', `host '${host}' of lab '${name}' is not running`);
  return runProc('bash', [labScript('lab.sh'), 'exec', host, ...argv], {
    env: labEnv(name, s.dir),
    inherit: opts.inherit,
    input: opts.input,
  });
}
