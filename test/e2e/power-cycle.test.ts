/**
 * `tsplay power` as the real Slurm 22.05's ResumeProgram/SuspendProgram/ResumeFailProgram, in the lab (see
 * power-lab.ts): sbatch → slurmctld calls the launcher → az vm start (RECORDING STAND-IN) → SSH → cloud-node
 * playbook → slurmd registers → the job runs → after SuspendTime the node is suspended → VM deallocated.
 * Failure paths: a VM that fails to start, a playbook that fails, resume called twice.
 * The timeline (seconds since submit) is printed, and written as JSON to $TSPLAY_POWER_TIMELINE when set
 * (bench/power.mjs).
 */
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopLab } from '../harness/lab.js';
import { AWS_INSTANCE, LAB_NAME, PowerLab, type PowerRecord } from './power-lab.js';

let pl: PowerLab | undefined;
const ms = (r: PowerRecord): number => Date.parse(r.t);
const sec = (t: number, t0: number): string => `${((t - t0) / 1000).toFixed(2).padStart(6)} s`;

beforeAll(async () => {
  pl = await PowerLab.start();
}, 300_000);

afterAll(async () => {
  await pl?.stop();
  await stopLab(LAB_NAME);
}, 120_000);

async function dump(e: unknown): Promise<never> {
  if (pl) console.log(await pl.diagnostics().catch((x: unknown) => String(x)));
  throw e;
}

describe.sequential('tsplay power with the real Slurm (lab)', () => {
  it('the controller playbook installed the launcher; Slurm sees the cloud nodes powered down', async () => {
    const p = pl!;
    expect(p.controllerRun).toMatch(/failed=0/);
    const launcher = await p.x(
      'ctl',
      'cat /usr/local/sbin/tsplay-power; ls -l /usr/local/sbin/tsplay-power-resume /etc/tsplay/power.yml /var/lib/tsplay/home/.azure/tsplay-credentials.json',
    );
    expect(launcher).toMatch(/TSPLAY_POWER_CONFIG='\/etc\/tsplay\/power.yml'/);
    expect(launcher).toMatch(/-rw------- 1 slurm slurm .* \/var\/lib\/tsplay\/home\/.azure\/tsplay-credentials.json/);
    // written by slurm_conf (typed, linted, Slurm's parser on a staged copy) before slurmctld first started
    const conf = await p.x('ctl', 'cat /etc/slurm/power.conf');
    expect(conf).toMatch(/^ResumeProgram=\/usr\/local\/sbin\/tsplay-power-resume$/m);
    expect(conf).toMatch(/^NodeName=cloud\[1-2\] .*State=CLOUD/m);
    expect(conf).toMatch(/^PartitionName=cloud .*SuspendTime=20/m);
    for (const n of ['cloud1', 'cloud2']) expect((await p.node(n)).state).toMatch(/POWERED_DOWN/);
    // Slurm's state and the VM's side by side, as SlurmUser through the launcher
    const status = await p.x('ctl', "runuser -u slurm -- env -i /usr/local/sbin/tsplay-power status 'cloud[1-2]'");
    console.log(status);
    expect(status).toMatch(/^cloud1\s+IDLE\+CLOUD\+POWERED_DOWN\s+rg-burst\/vm-cloud1\s+deallocated/m);
    expect(status).toMatch(/^cloud2\s+IDLE\+CLOUD\+POWERED_DOWN\s+rg-burst\/vm-cloud2\s+deallocated/m);
  });

  it('sbatch → resume → VM started → playbook → slurmd registers → job completes → suspend → deallocated; a second resume call starts nothing', async () => {
    const p = pl!;
    try {
      const t0 = Date.now();
      const job = await p.submit("-p cloud -w cloud1 -N1 --wrap 'hostname; sleep 2'");
      const events: { t: number; what: string }[] = [{ t: t0, what: `sbatch -p cloud (job ${job})` }];
      // Slurm may call resume again (after a restart): the same call from SlurmUser while the first runs
      const first = await p.until('slurmctld to call tsplay power resume', 30_000, async () =>
        (await p.powerLog()).find((r) => r.op === 'resume' && r.step === 'call' && ms(r) >= t0),
      );
      await p.callLauncher('resume', 'cloud1');
      let lastNode = '';
      let lastJob = '';
      let regAt = 0;
      let runAt = 0;
      await p.until('the job to complete', 100_000, async () => {
        const [n, j] = [await p.node('cloud1'), await p.job(job)];
        if (n.state !== lastNode) events.push({ t: Date.now(), what: `node cloud1 ${(lastNode = n.state)}` });
        if (j.state !== lastJob) events.push({ t: Date.now(), what: `job ${job} ${(lastJob = j.state)}` });
        if (!regAt && !/POWERING_UP|POWERED_DOWN/.test(n.state)) regAt = Date.now();
        if (!runAt && j.state === 'RUNNING') runAt = Date.now();
        return j.state === 'COMPLETED' || j.state === 'GONE';
      });
      const doneAt = Date.now();
      await p.until('the node to be suspended and its VM deallocated', 90_000, async () => {
        const n = await p.node('cloud1');
        if (n.state !== lastNode) events.push({ t: Date.now(), what: `node cloud1 ${(lastNode = n.state)}` });
        const log = await p.powerLog();
        return (
          log.some((r) => r.op === 'suspend' && r.node === 'cloud1' && r.step === 'verify' && r.outcome === 'ok' && ms(r) > doneAt) &&
          /POWERED_DOWN/.test(n.state)
        );
      });
      const log = (await p.powerLog()).filter((r) => ms(r) >= t0);
      const resume = log.filter((r) => r.run === first.run);
      const at = (recs: PowerRecord[], step: string, outcome = 'ok') => recs.find((r) => r.step === step && r.outcome === outcome);
      const suspend = log.filter((r) => r.op === 'suspend' && (r.node === 'cloud1' || r.step === 'call'));
      const steps: [string, PowerRecord | undefined][] = [
        ['slurmctld calls tsplay power resume', at(resume, 'call', 'start')],
        ['worker detached (launcher returns)', at(resume, 'detach')],
        ['az vm start', at(resume, 'start')],
        ['VM PowerState/running', at(resume, 'wait-running')],
        ['sshd answers', at(resume, 'ssh')],
        ['cloud-node playbook done (slurmd started)', at(resume, 'playbook')],
        ['slurmctld calls tsplay power suspend', suspend.find((r) => r.step === 'call')],
        ['slurmd stopped', at(suspend, 'slurmd-stop')],
        ['az vm deallocate', at(suspend, 'deallocate')],
        ['VM PowerState/deallocated (verified)', at(suspend, 'verify')],
      ];
      for (const [what, r] of steps) if (r) events.push({ t: ms(r), what });
      if (regAt) events.push({ t: regAt, what: 'slurmd registered (node no longer POWERING_UP)' });
      if (runAt) events.push({ t: runAt, what: 'job RUNNING' });
      events.push({ t: doneAt, what: 'job COMPLETED' });
      for (const s of p.served.filter((s) => s.host === 'cloud1' && s.t >= t0))
        events.push({ t: s.t, what: `lab: VM ${s.action} served (${s.host} sshd ${s.action === 'start' ? 'up' : 'down'})` });
      events.sort((a, b) => a.t - b.t);
      console.log(`power cycle timeline (seconds since sbatch):\n${events.map((e) => `  ${sec(e.t, t0)}  ${e.what}`).join('\n')}`);
      if (process.env.TSPLAY_POWER_TIMELINE) {
        writeFileSync(
          process.env.TSPLAY_POWER_TIMELINE,
          JSON.stringify(
            {
              t0,
              events: events.map((e) => ({ s: (e.t - t0) / 1000, what: e.what })),
              steps: steps.map(([what, r]) => ({ what, s: r ? (ms(r) - t0) / 1000 : null, ms: r?.ms ?? null })),
            },
            null,
            2,
          ),
        );
      }

      for (const [what, r] of steps) expect(r, what).toBeDefined();
      // the launcher returned within seconds
      expect(Number(at(resume, 'detach')!.ms)).toBeLessThan(3000);
      // one start for two resume calls: the second found the node locked or the VM already running
      const starts = (await p.standinCalls()).filter((c) => c.t >= t0 && c.argv[0] === 'vm' && c.argv[1] === 'start' && c.argv.includes('vm-cloud1'));
      expect(starts).toHaveLength(1);
      const second = log.filter((r) => r.op === 'resume' && r.run !== first.run && r.node === 'cloud1');
      expect(
        second.some((r) => (r.step === 'lock' && r.outcome === 'skip') || (r.step === 'start' && r.outcome === 'skip')),
        JSON.stringify(second),
      ).toBe(true);
      // never az vm stop; slurmd really gone on the node
      expect((await p.standinCalls()).some((c) => c.argv[1] === 'stop')).toBe(false);
      expect(await p.vmPower('cloud1')).toBe('deallocated');
      expect((await p.lab.exec('cloud1', 'pgrep -x slurmd')).rc).not.toBe(0);
      // readable log
      const readable = await p.x('ctl', 'runuser -u slurm -- env -i /usr/local/sbin/tsplay-power log cloud1');
      expect(readable).toMatch(/resume\[\w+\] cloud1 playbook ok/);
    } catch (e) {
      await dump(e);
    }
  }, 240_000);

  it('AWS node: sbatch -p aws → ec2 start-instances (aws stand-in) → playbook → slurmd registers → job completes → ec2 stop-instances, never terminate', async () => {
    const p = pl!;
    try {
      const t0 = Date.now();
      const job = await p.submit("-p aws -w aws1 -N1 --wrap 'hostname'");
      await p.until('the AWS job to complete', 100_000, async () => {
        const j = await p.job(job);
        return j.state === 'COMPLETED' || j.state === 'GONE';
      });
      const doneAt = Date.now();
      await p.until('aws1 suspended and its instance stopped', 90_000, async () => {
        const log = await p.powerLog();
        return (
          log.some((r) => r.op === 'suspend' && r.node === 'aws1' && r.step === 'verify' && r.outcome === 'ok' && ms(r) > doneAt) &&
          /POWERED_DOWN/.test((await p.node('aws1')).state)
        );
      });
      const log = (await p.powerLog()).filter((r) => ms(r) >= t0 && r.node === 'aws1');
      const line = (step: string, op: string) => log.find((r) => r.op === op && r.step === step && r.outcome === 'ok');
      console.log(
        `AWS node timeline (s since sbatch): ${['start', 'wait-running', 'ssh', 'playbook', 'done']
          .map((st) => `${st} ${line(st, 'resume') ? sec(ms(line(st, 'resume')!), t0) : '-'}`)
          .join(', ')}; stopped (verified) ${sec(ms(line('verify', 'suspend')!), t0)}`,
      );
      expect(line('map', 'resume')).toMatchObject({ provider: 'aws', vm: `eu-west-1/${AWS_INSTANCE}` });
      expect(line('done', 'resume')).toBeDefined();
      const calls = (await p.awsCalls()).map((a) => a.slice(0, 2).join(' '));
      expect(calls.filter((c) => c === 'ec2 start-instances')).toHaveLength(1);
      expect(calls.filter((c) => c === 'ec2 stop-instances')).toHaveLength(1);
      expect(calls.some((c) => c === 'ec2 terminate-instances')).toBe(false);
      expect(await p.instanceState()).toBe('stopped');
      expect((await p.lab.exec('aws1', 'pgrep -x slurmd')).rc).not.toBe(0);
    } catch (e) {
      await dump(e);
    }
  }, 240_000);

  it('a VM that fails to start: node DOWN with tsplay reason within seconds, job requeued, back in service after the back-off', async () => {
    const p = pl!;
    try {
      await p.setVm('cloud2', { failStart: 1 });
      const t0 = Date.now();
      const job = await p.submit("-p cloud -w cloud2 -N1 --wrap 'hostname'");
      const down = await p.until(
        'cloud2 DOWN with tsplay reason',
        30_000,
        async () => {
          const n = await p.node('cloud2');
          return /DOWN/.test(n.state) && n.reason.startsWith('tsplay: start:') ? n : undefined;
        },
        200,
      );
      const downS = (Date.now() - t0) / 1000;
      const j = await p.until("the job requeued with tsplay's comment", 10_000, async () => {
        const x = await p.job(job);
        return /AdminComment=tsplay/.test(x.line) ? x : undefined;
      });
      console.log(
        `VM start failure: cloud2 ${down.state} after ${downS.toFixed(2)} s, reason "${down.reason}"; job ${job}: ${j.state} ${/Restarts=\d+/.exec(j.line)?.[0] ?? ''}`,
      );
      expect(downS).toBeLessThan(15);
      expect(down.reason).toMatch(/AllocationFailed|capacity/);
      expect(j.state).toMatch(/PENDING|REQUEUED|CONFIGURING/);
      // the job says why (from SLURM_RESUME_FILE's job list)
      expect(j.line).toMatch(/AdminComment=tsplay: node cloud2: start: /);
      await p.x('ctl', `scancel ${job}`);
      const seen: string[] = [];
      const back = await p.until('cloud2 back in service, powered down', 90_000, async () => {
        const n = await p.node('cloud2');
        if (seen[seen.length - 1] !== n.state) seen.push(n.state);
        const f = n.state.split('+');
        return f[0] !== 'DOWN' && f.includes('POWERED_DOWN') && !f.some((x) => x.startsWith('POWERING')) ? n : undefined;
      });
      console.log(`  back in service after ${((Date.now() - t0) / 1000).toFixed(1)} s: ${back.state} (states: ${seen.join(' → ')})`);
      expect(await p.vmPower('cloud2')).toBe('deallocated');
    } catch (e) {
      await dump(e);
    }
  }, 120_000);

  it('a playbook that fails: node DOWN with tsplay reason, VM deallocated', async () => {
    const p = pl!;
    try {
      await p.setInventory(['cloud1']);
      const t0 = Date.now();
      const job = await p.submit("-p cloud -w cloud1 -N1 --wrap 'hostname'");
      const down = await p.until(
        'cloud1 DOWN with tsplay reason',
        60_000,
        async () => {
          const n = await p.node('cloud1');
          return /DOWN/.test(n.state) && n.reason.startsWith('tsplay: playbook:') ? n : undefined;
        },
        200,
      );
      const downS = (Date.now() - t0) / 1000;
      await p.until('the VM deallocated', 30_000, async () => (await p.vmPower('cloud1')) === 'deallocated');
      console.log(
        `playbook failure: cloud1 ${down.state} after ${downS.toFixed(2)} s, reason "${down.reason}"; VM deallocated after ${((Date.now() - t0) / 1000).toFixed(2)} s`,
      );
      expect(down.reason).toMatch(/lab_break_playbook/);
      await p.until('sshd of cloud1 stopped by the deallocate', 10_000, async () =>
        p.served.some((s) => s.host === 'cloud1' && s.action === 'deallocate' && s.t >= t0),
      );
      await p.x('ctl', `scancel ${job}`);
      await p.setInventory();
    } catch (e) {
      await dump(e);
    }
  }, 120_000);

  it("a node that never registers: Slurm's ResumeTimeout → ResumeFailProgram → VM deallocated, node back in service", async () => {
    const p = pl!;
    try {
      await p.setInventory([], ['cloud2']);
      const t0 = Date.now();
      const job = await p.submit("-p cloud -w cloud2 -N1 --wrap 'hostname'");
      const call = await p.until(
        'slurmctld to call tsplay power fail',
        100_000,
        async () => (await p.powerLog()).find((r) => r.op === 'fail' && r.step === 'call' && ms(r) >= t0),
        500,
      );
      await p.setInventory();
      await p.x('ctl', `scancel ${job}`);
      const n = await p.node('cloud2');
      console.log(`ResumeFailProgram called ${((ms(call) - t0) / 1000).toFixed(1)} s after sbatch (ResumeTimeout=60); cloud2 ${n.state} "${n.reason}"`);
      // slurmd (no -b) answers, so Slurm itself may call the node back (ReturnToService=2): tsplay still
      // stops it, deallocates the VM and returns the node after its back-off
      await p.until('the fail worker to finish', 90_000, async () => (await p.powerLog()).find((r) => r.run === call.run && r.step === 'end'), 500);
      const back = await p.until('cloud2 back in service after the fail back-off', 60_000, async () => {
        const x = await p.node('cloud2');
        const f = x.state.split('+');
        return f[0] !== 'DOWN' && f.includes('POWERED_DOWN') && !f.some((y) => y.startsWith('POWERING')) ? x : undefined;
      });
      const fail = (await p.powerLog()).filter((r) => r.run === call.run);
      console.log(`  back in service ${((Date.now() - t0) / 1000).toFixed(1)} s after sbatch: ${back.state}`);
      expect(fail.find((r) => r.step === 'verify')).toMatchObject({ outcome: 'ok', power: 'deallocated' });
      // back in service: by tsplay (state=resume) or already by Slurm (its slurmd answered: ReturnToService=2)
      const ret = fail.find((r) => r.step === 'return');
      console.log(`  return to service: ${ret?.outcome} ${String(ret?.why ?? '')} ${String(ret?.state ?? '')}`);
      expect(ret?.outcome).toMatch(/^(ok|skip)$/);
      expect(await p.vmPower('cloud2')).toBe('deallocated');
      expect((await p.lab.exec('cloud2', 'pgrep -x slurmd')).rc).not.toBe(0);
    } catch (e) {
      await dump(e);
    }
  }, 200_000);
});
