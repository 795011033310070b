/**
 * playbooks/yum-repos.yml (seed 001's azure-cli repository, signing key from the test key's text) and
 * playbooks/aws-plugin.yml (seed 004's partitions.json + config.json, with a RealMemory the c5.xlarge has) through
 * the real CLI on a lab host: check mode on the fresh host writes nothing, the first run changes, the second is
 * changed=0, check mode afterwards changes nothing; Debian's dnf lists the repository offline; the key is in rpm's
 * database; the JSON files parse; seed 004's own RealMemory (32000 on a c5.xlarge) fails the play with the reason and
 * leaves the files as they were.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recap, ROOT, tsplay } from '../harness/cli.js';
import { startLab, stopLab, type Lab } from '../harness/lab.js';
import { SEED004_SUBNET_AZS, seed004Config, seed004Group } from '../fixtures/aws-plugin.js';

const REPOS = '/tmp/el-repos';
const AWS = '/slurm/etc/aws';
let lab: Lab;
let tmp: string;

async function sh(cmd: string): Promise<string> {
  const r = await lab.exec('node1', cmd);
  if (r.rc !== 0) throw new Error(`${cmd}: rc ${r.rc}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const snapshot = () =>
  sh(`find ${REPOS} ${AWS} -printf '%p %m %u %g %s\\n' 2>/dev/null | sort; cat ${REPOS}/* ${AWS}/*.json 2>/dev/null; rpm -q gpg-pubkey 2>&1 || true`);

function awsVars(mem: string) {
  return {
    aws_plugin_dir: AWS,
    aws_plugin_group: 'daemon',
    aws_plugin_partitions: [{ PartitionName: 'cloud', NodeGroups: [seed004Group(mem)] }],
    aws_plugin_subnet_azs: SEED004_SUBNET_AZS,
    aws_plugin_config: seed004Config(AWS),
  };
}

function varsFile(name: string, vars: object): string {
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(vars));
  return f;
}

async function play(book: string, vars: string, ...extra: string[]) {
  return tsplay(['run', `playbooks/${book}`, '-i', lab.inventory, '-i', join(tmp, 'hosts.yml'), '-e', `@${vars}`, ...extra]);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tsplay-elaws-'));
  writeFileSync(
    join(tmp, 'hosts.yml'),
    'all:\n  children:\n    yum_repo_hosts: { hosts: { node1: {} } }\n    aws_plugin_controllers: { hosts: { node1: {} } }\n',
  );
  lab = await startLab('elaws', { hosts: 1 });
  await sh(`mkdir -p ${REPOS}`);
}, 240_000);

afterAll(async () => {
  await stopLab('elaws');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe.sequential('the EL repository and AWS plugin playbooks (lab)', () => {
  it("yum-repos.yml: seed 001's azure-cli repository + its signing key; check → run → changed=0; dnf lists it", async () => {
    const key = readFileSync(join(ROOT, 'modules/system/rpm_key/test-key.asc'), 'utf8');
    const vars = varsFile('yum.json', { yum_reposdir: REPOS, yum_rpm_keys: [key], yum_packages: [] });
    const before = await snapshot();
    const check = await play('yum-repos.yml', vars, '--check');
    expect(check.code, check.all).toBe(0);
    expect(await snapshot()).toBe(before);
    const first = await play('yum-repos.yml', vars);
    expect(first.code, first.all).toBe(0);
    expect(recap(first.all).node1).toMatchObject({ changed: 2, failed: 0 });
    const repo = await sh(`cat ${REPOS}/azure-cli.repo`);
    expect(repo).toBe(
      '[azure-cli]\nbaseurl = https://packages.microsoft.com/yumrepos/azure-cli\nenabled = 1\ngpgcheck = 1\n' +
        'gpgkey = https://packages.microsoft.com/keys/microsoft.asc\nname = Azure CLI\n\n',
    );
    expect(await sh('rpm -q gpg-pubkey')).toMatch(/^gpg-pubkey-/);
    const after = await snapshot();
    const second = await play('yum-repos.yml', vars);
    expect(recap(second.all).node1).toMatchObject({ changed: 0, failed: 0 });
    const check2 = await play('yum-repos.yml', vars, '--check');
    expect(recap(check2.all).node1).toMatchObject({ changed: 0, failed: 0 });
    expect(await snapshot()).toBe(after);
    const list = await sh(`dnf -q --releasever=9 --setopt=reposdir=${REPOS} --setopt=cachedir=/tmp/dnf-elaws repolist all -C 2>&1`);
    expect(list).toMatch(/^azure-cli\s+Azure CLI\s+enabled/m);
  }, 180_000);

  it('aws-plugin.yml: partitions.json + config.json; check → run → changed=0; RealMemory 32000 on a c5.xlarge refused, files kept', async () => {
    const vars = varsFile('aws.json', awsVars('7600'));
    const before = await snapshot();
    const check = await play('aws-plugin.yml', vars, '--check');
    expect(check.code, check.all).toBe(0);
    expect(await snapshot()).toBe(before);
    const first = await play('aws-plugin.yml', vars);
    expect(first.code, first.all).toBe(0);
    expect(recap(first.all).node1).toMatchObject({ changed: 2, failed: 0 });
    expect(first.all).toContain('cloud-c5-[0-19]');
    expect(await sh(`stat -c '%a %U %G' ${AWS}/partitions.json ${AWS}/config.json`)).toBe('644 root daemon\n644 root daemon\n');
    const parsed = JSON.parse(await sh(`python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' ${AWS}/partitions.json`)) as {
      Partitions: { NodeGroups: { SlurmSpecifications: { RealMemory: string } }[] }[];
    };
    expect(parsed.Partitions[0]!.NodeGroups[0]!.SlurmSpecifications.RealMemory).toBe('7600');
    const after = await snapshot();
    const second = await play('aws-plugin.yml', vars);
    expect(recap(second.all).node1).toMatchObject({ changed: 0, failed: 0 });
    const bad = await play('aws-plugin.yml', varsFile('aws-bad.json', awsVars('32000')));
    expect(bad.code).not.toBe(0);
    expect(bad.all).toMatch(/RealMemory 32000.*c5\.xlarge|c5\.xlarge.*32000/s);
    expect(await snapshot()).toBe(after);
  }, 180_000);
});
