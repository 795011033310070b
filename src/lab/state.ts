/** Per-lab state on disk (<lab dir>/state.json) and liveness checks of hosts. */
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { KernelFeatures } from './features.js';
import type { SudoMode } from './names.js';
import { LAB_MARKER, labDir, labsRoot } from './paths.js';

export interface LabHostState {
  name: string;
  /** 1-based index inside the lab (address .10+index) */
  index: number;
  ip: string;
  sudo: SudoMode;
  netns: string;
  veth: string;
}

export interface LabState {
  name: string;
  dir: string;
  /** K: subnet 10.231.K.0/24, bridge tspbrK */
  index: number;
  bridge: string;
  subnet: string;
  gateway: string;
  /** overlay lower dir */
  rootfs: string;
  key: string;
  knownHosts: string;
  inventory: string;
  sshConfig: string;
  hosts: LabHostState[];
  createdAt: string;
  /** the kernel features found at `up` (hosts share the machine's kernel); absent in older state files */
  features?: KernelFeatures;
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

export function writeState(s: LabState): void {
  writeFileSync(statePath(s.dir), JSON.stringify(s, null, 2) + '\n');
}

export function readState(name: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(labDir(name)), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Lab directories under the labs root (complete or left behind by an aborted run). */
export function labDirs(): string[] {
  const root = labsRoot();
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => join(root, d.name))
    .filter((d) => existsSync(join(d, LAB_MARKER)) || existsSync(statePath(d)));
}

/** Bridges in the root netns that belong to a tsplay lab: name, index, owning lab dir (from the alias). */
export function labBridges(): { bridge: string; index: number; dir: string; name: string }[] {
  const out: { bridge: string; index: number; dir: string; name: string }[] = [];
  for (const dev of readdirSync('/sys/class/net')) {
    const m = /^tspbr(\d+)$/.exec(dev);
    if (!m) continue;
    let alias = '';
    try {
      alias = readFileSync(`/sys/class/net/${dev}/ifalias`, 'utf8').trim();
    } catch {}
    const dir = alias.startsWith('tsplay-lab:') ? alias.slice('tsplay-lab:'.length) : '';
    out.push({ bridge: dev, index: Number(m[1]), dir, name: dir ? basename(dir) : '' });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** PID 1 of a host if it is running in the host's own network namespace (guards against reused pids). */
export function hostPid(dir: string, h: LabHostState): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'hosts', h.name, 'pid'), 'utf8').trim());
    if (!pid) return undefined;
    const ino = statSync(`/run/netns/${h.netns}`).ino;
    return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${ino}]` ? pid : undefined;
  } catch {
    return undefined;
  }
}
