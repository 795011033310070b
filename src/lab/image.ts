/**
 * The lab base image: a Debian 12 rootfs tarball built by build-image.sh with mmdebstrap, cached under
 * /var/cache/tsplay/lab keyed by a hash of the package list + the builder script, and extracted once
 * to a shared lower directory (never written: every host writes to its own overlay upper dir).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsplayError } from '../errors.js';
import { pickDebianMirrors, readAptSources } from './apt-sources.js';
import { imageCacheDir, labScript } from './paths.js';
import { runProc } from './run.js';

/** python3 only so Ansible can target the same hosts (benchmark); waagent/cloud-init/firewalld/munge for modules. */
export const IMAGE_PACKAGES: readonly string[] = [
  'openssh-server',
  'sudo',
  'autofs',
  'sendmail',
  'sendmail-bin',
  'sendmail-cf',
  'm4',
  'make',
  'libreswan',
  'iproute2',
  'procps',
  'nftables',
  'python3',
  'python3-apt',
  'ifupdown',
  'firewalld',
  'waagent',
  'cloud-init',
  'munge',
  'iputils-ping',
  'less',
  'systemd',
  'systemd-sysv',
  'dbus',
  // WireGuard: the tools (wg, wg-quick) and the userspace implementation (kernels without the module)
  'wireguard-tools',
  'wireguard-go',
  // Slurm 22.05: a lab host can be the controller or a cloud node of a real power-saving cycle
  'slurmctld',
  'slurmd',
  'slurm-client',
  // DNS: BIND 9.18 (named, named-checkzone, rndc) and its clients (nsupdate, dig, host)
  'bind9',
  'bind9-dnsutils',
  // NFS server tools (exportfs) for the CycleCloud scheduler's exports
  'nfs-kernel-server',
  // EL repository files read by Debian's dnf; rpm for rpm_key
  'dnf',
  'rpm',
  // cron, unzip, curl: the targets of cron, unarchive and get_url
  'cron',
  'unzip',
  'curl',
];

export interface ImageInfo {
  hash: string;
  tarball: string;
  /** extracted rootfs (overlay lower dir) */
  rootfs: string;
}

export interface ImageMeta {
  hash: string;
  packages: string[];
  mirrors: { main: string; updates?: string; security?: string };
  builtAt: string;
  buildSeconds: number;
  tarballBytes: number;
}

export function imageHash(): string {
  const h = createHash('sha256');
  h.update(IMAGE_PACKAGES.join(',') + '\n');
  h.update(readFileSync(labScript('build-image.sh')));
  return h.digest('hex').slice(0, 16);
}

export function imageInfo(): ImageInfo {
  const hash = imageHash();
  const dir = imageCacheDir();
  return { hash, tarball: join(dir, `base-${hash}.tar.zst`), rootfs: join(dir, `rootfs-${hash}`) };
}

export function readImageMeta(info: ImageInfo = imageInfo()): ImageMeta | undefined {
  const p = info.tarball.replace(/\.tar\.zst$/, '.json');
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ImageMeta;
  } catch {
    return undefined;
  }
}

type Log = (line: string) => void;

/** Builds the tarball unless it is cached (or rebuild is set). Concurrent callers wait for one build. */
export async function ensureImage(opts: { rebuild?: boolean; log?: Log } = {}): Promise<ImageInfo> {
  const info = imageInfo();
  if (!opts.rebuild && existsSync(info.tarball)) return info;
  const mirrors = pickDebianMirrors(readAptSources());
  if (!mirrors) {
    throw new TsplayError('lab', 'no Debian bookworm mirror (component main) in /etc/apt/sources.list or /etc/apt/sources.list.d/', {
      hint: 'the lab image is built with mmdebstrap from the mirrors apt already uses',
    });
  }
  mkdirSync(imageCacheDir(), { recursive: true });
  const logFile = join(imageCacheDir(), `build-${info.hash}.log`);
  opts.log?.(`building lab image ${info.hash} from ${mirrors.main} (about 2 minutes; log: ${logFile})`);
  const t0 = Date.now();
  const r = await runProc('flock', ['-w', '1800', info.tarball + '.lock', 'bash', labScript('build-image.sh')], {
    env: {
      OUT: info.tarball,
      PKGS: IMAGE_PACKAGES.join(','),
      MIRROR: mirrors.main,
      UPDATES_MIRROR: mirrors.updates ?? '',
      SECMIRROR: mirrors.security ?? '',
      FORCE: opts.rebuild ? '1' : '',
    },
  });
  writeFileSync(logFile, r.stdout + r.stderr);
  if (r.rc !== 0) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n');
    throw new TsplayError('lab', `building the lab image failed (rc ${r.rc}); last lines of ${logFile}:\n${tail}`);
  }
  if (!/^skipped:/m.test(r.stdout)) {
    const meta: ImageMeta = {
      hash: info.hash,
      packages: [...IMAGE_PACKAGES],
      mirrors,
      builtAt: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
      tarballBytes: statSync(info.tarball).size,
    };
    writeFileSync(info.tarball.replace(/\.tar\.zst$/, '.json'), JSON.stringify(meta, null, 2) + '\n');
    opts.log?.(`lab image built in ${meta.buildSeconds} s: ${info.tarball} (${(meta.tarballBytes / 2 ** 20).toFixed(1)} MiB)`);
  }
  return info;
}

/**
 * Remove cached images of other hashes (older package lists or builder scripts), except a rootfs that a
 * running lab still uses as its overlay lower dir. Returns the removed paths.
 */
export function pruneImages(): string[] {
  const keep = imageInfo().hash;
  const dir = imageCacheDir();
  if (!existsSync(dir)) return [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /^(?:base|rootfs|build)-([0-9a-f]{16})(?:\.|$)/.exec(f);
    if (!m || m[1] === keep) continue;
    if (mounts.includes(`lowerdir=${join(dir, `rootfs-${m[1]}`)}`)) continue;
    rmSync(join(dir, f), { recursive: true, force: true });
    removed.push(join(dir, f));
  }
  return removed;
}

/** The extracted base rootfs for hosts' overlays (built and extracted on first use). */
export async function ensureRootfs(opts: { log?: Log } = {}): Promise<ImageInfo> {
  const info = await ensureImage(opts);
  if (existsSync(join(info.rootfs, 'usr/sbin/sshd'))) return info;
  const r = await runProc('bash', [labScript('lab.sh'), 'extract', info.tarball, info.rootfs]);
  if (r.rc !== 0) throw new TsplayError('lab', `extracting ${info.tarball} failed: ${r.stderr.trim()}`);
  return info;
}
