/**
 * playbooks/cyclecloud-scheduler.yml against a real lab host (Debian 12 with slurm, munge, nfs-kernel-server)
 * over real SSH + sudo, through the CLI, with the repository's inventory/group_vars/cyclecloud_schedulers.yml
 * and a vault-encrypted vars file holding the CycleCloud password and the munge key.
 *
 * azslurm is a RECORDING STAND-IN (a POSIX sh script installed on the lab host as /usr/local/bin/azslurm; it is
 * not CycleCloud's azslurm, which is not packaged): it logs every call (argv, whether a password-like variable
 * was in its environment, whether stdin had data, its umask, the mode of autoscale.json as it sees it) and
 * writes what the real one writes: initconfig prints the autoscale JSON (scalelib's shape, "password": null
 * without --password), connect needs the password in autoscale.json, `scale --no-restart` rewrites
 * azure.conf/gres.conf in the config dir (tmp + mv, as upstream). The cyclecloud CLI is not used by the
 * scheduler's play (import_cluster runs on the CycleCloud server), so there is no stand-in for it.
 *
 * Measured: first run changed, second run changed=0, check mode (on a fresh state and after) writes nothing;
 * ids 11100/11101; the cluster name "HPC Lab_1" escaped as CycleCloud does (hpc-lab-1); the password in no
 * recorded argv, in no output, autoscale.json 0600 slurm at every azslurm call and at the end, made under
 * umask 077; the exports file checked by exportfs when nfsd runs in the lab kernel, else parsed (the test
 * reports which, from the module's `validated_by`, and parses the file itself).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, recap, ROOT, tsplay } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { parseExports } from '../../modules/storage/nfs_export/nfs-export-file.js';

const HOST = 'sched';
const CLUSTER = 'HPC Lab_1';
const ESC = 'hpc-lab-1';
const PASSWORD = 'cc-S3cret "quoted" \\ pass';
const PW_MARK = 'cc-S3cret';
const MUNGE_KEY = Buffer.alloc(1024, 7).toString('base64');
const LOG = '/var/log/tsplay-standin/azslurm.log';

/** RECORDING STAND-IN of azslurm (see the header) */
const STANDIN = String.raw`#!/bin/sh
# RECORDING STAND-IN of azslurm, installed by test/e2e/cyclecloud-scheduler.test.ts: not CycleCloud's azslurm.
LOG=${LOG}
D=/opt/azurehpc/slurm
mkdir -p "$(dirname "$LOG")"
mode=$(stat -c '%a %U' "$D/autoscale.json" 2>/dev/null || echo none)
envpw=no; if env | grep -qi -e 'pass' -e 'cyclecloud'; then envpw=yes; fi
stdin=no; if [ ! -t 0 ] && IFS= read -r _l; then stdin=yes; fi
printf 'argv=%s | env_password=%s stdin=%s umask=%s autoscale=%s\n' "$*" "$envpw" "$stdin" "$(umask)" "$mode" >> "$LOG"
cmd=$1; shift
case $cmd in
initconfig)
  user= pw=null url= cluster= cdir= res=
  while [ $# -gt 0 ]; do case $1 in
    --username) user=$2; shift 2;; --password) pw="\"$2\""; shift 2;; --url) url=$2; shift 2;;
    --cluster-name) cluster=$2; shift 2;; --config-dir) cdir=$2; shift 2;; --default-resource) res=$2; shift 2;;
    *) echo "azslurm (stand-in): unknown option $1" >&2; exit 2;; esac; done
  [ -n "$user" ] && [ -n "$url" ] && [ -n "$cluster" ] || { echo "initconfig: --username, --url and --cluster-name are required" >&2; exit 2; }
  printf '{\n  "cluster_name": "%s",\n  "username": "%s",\n  "password": %s,\n  "url": "%s",\n  "config_dir": "%s",\n  "lock_file": "%s/scalelib.lock",\n  "default_resources": [\n    %s\n  ],\n  "idle_timeout": 300,\n  "boot_timeout": 1800,\n  "logging": {\n    "config_file": "%s/logging.conf"\n  }\n}\n' \
    "$cluster" "$user" "$pw" "$url" "$cdir" "$D" "$res" "$D"
  ;;
connect)
  grep -q '"password": "' "$D/autoscale.json" || { echo "azslurm connect: no password in $D/autoscale.json" >&2; exit 1; }
  echo "connected to $(sed -n 's/.*"url": "\(.*\)".*/\1/p' "$D/autoscale.json")"
  ;;
scale)
  [ "$1" = --no-restart ] || { echo "azslurm (stand-in): only scale --no-restart" >&2; exit 2; }
  cdir=$(sed -n 's/.*"config_dir": "\(.*\)".*/\1/p' "$D/autoscale.json")
  c=$(basename "$cdir")
  for f in azure.conf gres.conf; do
    if [ $f = azure.conf ]; then
      printf 'PartitionName=hpc Nodes=%s-hpc-[1-4] Default=YES DefMemPerCPU=3891 MaxTime=INFINITE State=UP\nNodename=%s-hpc-[1-4] Feature=cloud STATE=CLOUD CPUs=4 ThreadsPerCore=1 RealMemory=15564\n' "$c" "$c" > "$cdir/$f.tmp"
    else
      printf '# gres for %s: no GPU node arrays\n' "$c" > "$cdir/$f.tmp"
    fi
    [ -e "$cdir/$f" ] && chown --reference="$cdir/$f" "$cdir/$f.tmp" && chmod --reference="$cdir/$f" "$cdir/$f.tmp"
    mv -f "$cdir/$f.tmp" "$cdir/$f"
  done
  echo "scaled (no restart)"
  ;;
*) echo "azslurm (stand-in): $cmd not recorded" >&2; exit 2;;
esac
`;

let lab: Lab;
let tmp: string;
let invDir: string;
const outputs: string[] = [];

async function sh(cmd: string, input?: string): Promise<string> {
  const r = await lab.exec(HOST, cmd, { input });
  if (r.rc !== 0) throw new Error(`${HOST}: ${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function play(...extra: string[]) {
  const r = await tsplay([
    'run',
    'playbooks/cyclecloud-scheduler.yml',
    '-i',
    lab.inventory,
    '-i',
    invDir,
    '--vault-password-file',
    join(tmp, 'vault-pass'),
    ...extra,
  ]);
  outputs.push(r.all);
  return r;
}

/** what the play writes: content hashes, owners and modes, the accounts, the exports; proves check mode wrote nothing */
const snapshot = () =>
  sh(
    `cd / && for f in /etc/exports.d/cyclecloud.exports /sched/${ESC}/* /etc/munge/munge.key /opt/azurehpc/slurm/autoscale.json; do [ -e "$f" ] && sha256sum "$f" && stat -c '%n %U:%G %a %Y' "$f"; done 2>/dev/null; ls -la /etc/slurm /sched /opt/azurehpc/slurm 2>&1; getent passwd slurm munge; getent group slurm munge; cat ${LOG} 2>/dev/null | wc -l`,
  );

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'cc-e2e-'));
  lab = await startLab('ccsched', { hosts: [HOST], sudo: 'nopasswd' });
  invDir = join(tmp, 'inventory');
  mkdirSync(join(invDir, 'group_vars', 'cyclecloud_schedulers'), { recursive: true });
  writeFileSync(join(invDir, 'hosts.yml'), `all:\n  children:\n    cyclecloud_schedulers:\n      hosts:\n        ${HOST}:\n`);
  copyFileSync(join(ROOT, 'inventory/group_vars/cyclecloud_schedulers.yml'), join(invDir, 'group_vars', 'cyclecloud_schedulers', 'main.yml'));
  writeFileSync(
    join(invDir, 'group_vars', 'cyclecloud_schedulers', 'zz-lab.yml'),
    // the lab: no package install (the image has them), slurmctld not restarted (the lab has no CycleCloud nodes for it)
    `cyclecloud_cluster_name: "${CLUSTER}"\ncyclecloud_packages: []\ncyclecloud_restart_slurmctld: false\ncyclecloud_nfs_clients:\n  - { host: "*", options: [rw, sync, no_root_squash] }\n`,
  );
  writeFileSync(join(tmp, 'vault-pass'), 'lab-vault-password\n', { mode: 0o600 });
  const plain = `cyclecloud_password: ${JSON.stringify(PASSWORD)}\nmunge_key_b64: ${MUNGE_KEY}\n`;
  const enc = execFileSync(process.execPath, [BIN, 'vault', 'encrypt', '--vault-password-file', join(tmp, 'vault-pass')], { input: plain, cwd: ROOT });
  writeFileSync(join(invDir, 'group_vars', 'cyclecloud_schedulers', 'vault.yml'), enc);
  await sh(`set -e; base64 -d > /usr/local/bin/azslurm; chmod 0755 /usr/local/bin/azslurm; rm -f ${LOG}`, Buffer.from(STANDIN).toString('base64'));
}, 180_000);

afterAll(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (lab) await stopLab('ccsched');
});

describe('cyclecloud-scheduler.yml on a lab host (azslurm: RECORDING STAND-IN)', () => {
  it('check mode on a fresh host writes nothing', async () => {
    const before = await snapshot();
    const r = await play('--check');
    expect(r.code, r.all).toBe(0);
    expect(await snapshot()).toBe(before);
    expect(r.all).not.toContain(PW_MARK);
  }, 300_000);

  it('first run: changed; ids, escaped cluster dir, files, munge key, exports, autoscale.json 0600', async () => {
    const r = await play();
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout)[HOST]).toMatchObject({ failed: 0 });
    expect(recap(r.stdout)[HOST]!['changed']).toBeGreaterThan(0);
    console.log(`cyclecloud e2e: first run ${JSON.stringify(recap(r.stdout)[HOST])}`);
    expect((await sh('getent passwd slurm munge | cut -d: -f1,3,4')).trim().split('\n')).toEqual(['slurm:11100:11100', 'munge:11101:11101']);
    expect((await sh('getent group slurm munge | cut -d: -f1,3')).trim().split('\n')).toEqual(['slurm:11100', 'munge:11101']);
    expect(await sh(`stat -c '%n %U:%G %a' /etc/munge/munge.key /sched/${ESC}/munge.key /opt/azurehpc/slurm/autoscale.json`)).toBe(
      `/etc/munge/munge.key munge:munge 400\n/sched/${ESC}/munge.key munge:munge 600\n/opt/azurehpc/slurm/autoscale.json slurm:slurm 600\n`,
    );
    expect(await sh(`base64 -w0 /sched/${ESC}/munge.key`)).toBe(MUNGE_KEY);
    // munged runs as 11101 with the site's key (restarted by the handler): a credential round-trips
    expect(await sh('cmp /etc/munge/munge.key /sched/' + ESC + '/munge.key && munge -n | unmunge | grep STATUS')).toContain('Success');
    expect((await sh('ps -o uid= -C munged')).trim()).toBe('11101');
    const conf = await sh(`cat /etc/slurm/slurm.conf`);
    expect(conf).toContain(`ClusterName=${ESC}\n`);
    for (const inc of ['azure.conf', 'accounting.conf', 'keep_alive.conf']) expect(conf).toContain(`Include ${inc}\n`);
    expect(await sh(`readlink /etc/slurm/slurm.conf /etc/slurm/azure.conf /etc/slurm/gres.conf`)).toBe(
      `/sched/${ESC}/slurm.conf\n/sched/${ESC}/azure.conf\n/sched/${ESC}/gres.conf\n`,
    );
    expect(await sh(`cat /sched/${ESC}/azure.conf`)).toContain(`Nodename=${ESC}-hpc-[1-4] Feature=cloud STATE=CLOUD`);
    // autoscale.json: the password is there (JSON-escaped), put in by the shell, not by azslurm
    const auto = JSON.parse(await sh('cat /opt/azurehpc/slurm/autoscale.json')) as Record<string, unknown>;
    expect(auto).toMatchObject({ cluster_name: CLUSTER, password: PASSWORD, config_dir: `/sched/${ESC}`, username: 'hpcadmin' });
    // the exports: the file parsed by the module's parser here; exportfs's own view when nfsd runs
    const exportsText = await sh('cat /etc/exports.d/cyclecloud.exports');
    expect(parseExports(exportsText).map((e) => e.path)).toEqual(['/sched', '/shared']);
    expect(exportsText).toContain('/sched *(rw,sync,no_root_squash)\n/shared *(rw,sync,no_root_squash)\n');
    const how = /checked by (exportfs|parser)/.exec(r.all)?.[1];
    expect(how).toBeDefined();
    if (how === 'exportfs') {
      const live = await sh('exportfs -v');
      expect(live).toContain('/sched');
      console.log('cyclecloud e2e: exports checked by exportfs (nfsd runs in the lab kernel)');
    } else {
      console.log('cyclecloud e2e: the lab kernel runs no nfsd: exportfs cannot load exports; the file was checked by the exports(5) parser');
    }
  }, 300_000);

  it('second run: changed=0; check mode after it writes nothing', async () => {
    const r = await play();
    expect(r.code, r.all).toBe(0);
    expect(recap(r.stdout)[HOST]).toMatchObject({ changed: 0, failed: 0 });
    const before = await snapshot();
    const c = await play('--check');
    expect(c.code, c.all).toBe(0);
    expect(recap(c.stdout)[HOST]).toMatchObject({ changed: 0, failed: 0 });
    expect(await snapshot()).toBe(before);
  }, 300_000);

  it('the password: in no argv, no env, no output; autoscale.json 0600 slurm at every azslurm call, initconfig under umask 077', async () => {
    const log = await sh(`cat ${LOG}`);
    const calls = log.trim().split('\n');
    expect(calls.length).toBeGreaterThanOrEqual(6); // initconfig, connect, scale × 2 runs
    expect(log).not.toContain(PW_MARK);
    expect(calls.filter((l) => l.startsWith('argv=initconfig')).length).toBe(2);
    for (const l of calls) {
      expect(l).toContain('env_password=no');
      expect(l).not.toMatch(/--password/);
      if (l.startsWith('argv=initconfig')) expect(l).toMatch(/stdin=no umask=0077 /);
      // the file exists from the first initconfig's end on: always 600 slurm, never world-readable
      expect(l).toMatch(/autoscale=(none|600 slurm)$/);
    }
    expect(calls.find((l) => l.startsWith('argv=initconfig'))).toContain(`--cluster-name ${CLUSTER} --config-dir /sched/${ESC}`);
    for (const o of outputs) expect(o).not.toContain(PW_MARK);
    // no stray temp file next to autoscale.json
    expect((await sh('ls -A /opt/azurehpc/slurm')).trim()).toBe('autoscale.json');
  });
});
