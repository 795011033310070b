/** `tsplay lab ...`: disposable Debian 12 test hosts (see src/lab/). */
import { readFileSync } from 'node:fs';
import { isTsplayError, TsplayError } from '../../errors.js';
import { detectFeatures, FEATURE_NAMES, featuresLine, featuresTable, hasFeature, type FeatureName, type KernelFeatures } from '../../lab/features.js';
import { ensureImage, ensureRootfs, pruneImages, readImageMeta } from '../../lab/image.js';
import { getLab, labDown, labDownAll, labExec, labHostStatus, labRestart, labUp, listLabs } from '../../lab/manager.js';
import { hostList, type SudoChoice } from '../../lab/names.js';

const USAGE = `usage: tsplay lab COMMAND [options]

  image [--rebuild]                          build (or reuse) the cached Debian 12 base image
  up [--name LAB] [--sudo MODE] (N | HOST...)  start a fresh lab: hosts node1..nodeN or the named hosts
                                             MODE: nopasswd (default) | password | mixed (odd nopasswd)
  down [--name LAB | --all]                  stop a lab (or every tsplay lab) and remove all its traces
  status [--name LAB]                        list labs, or the hosts of one lab
  inventory [--name LAB] [--path]            print the lab's Ansible inventory (or only its path)
  exec [--name LAB] HOST [CMD...]            run CMD (sh -c) as root inside HOST, no ssh; no CMD: a shell
  restart [--name LAB] HOST...               "reboot" hosts: all processes killed, disk and address kept
  features [--json] [FEATURE...]             the kernel features lab hosts get (autofs, nfs, overlay, tun,
                                             wireguard, xfrm); exit 1 if a named FEATURE is missing

LAB defaults to $TSPLAY_LAB_NAME or "default"; state lives in /tmp/tsplay-lab/LAB ($TSPLAY_LAB_DIR).`;

interface Parsed {
  name: string;
  nameGiven: boolean;
  sudo?: string;
  all: boolean;
  rebuild: boolean;
  path: boolean;
  json: boolean;
  help: boolean;
  rest: string[];
}

/** Options may come before the positionals; for exec everything after HOST belongs to the command. */
function parse(cmd: string, args: string[]): Parsed {
  const p: Parsed = {
    name: process.env.TSPLAY_LAB_NAME || 'default',
    nameGiven: !!process.env.TSPLAY_LAB_NAME,
    all: false,
    rebuild: false,
    path: false,
    json: false,
    help: false,
    rest: [],
  };
  const value = (opt: string, i: number): string => {
    const v = args[i];
    if (v === undefined) throw new TsplayError('options', `${opt} needs a value`);
    return v;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (p.rest.length > 0 && cmd === 'exec') {
      p.rest.push(...args.slice(i));
      break;
    }
    const eq = /^(--[a-z-]+)=(.*)$/.exec(a);
    const [opt, inline] = eq ? [eq[1]!, eq[2]!] : [a, undefined];
    switch (opt) {
      case '--name':
        p.name = inline ?? value(opt, ++i);
        p.nameGiven = true;
        break;
      case '--sudo':
        p.sudo = inline ?? value(opt, ++i);
        break;
      case '--all':
        p.all = true;
        break;
      case '--rebuild':
        p.rebuild = true;
        break;
      case '--path':
        p.path = true;
        break;
      case '--json':
        p.json = true;
        break;
      case '-h':
      case '--help':
        p.help = true;
        break;
      case '--':
        p.rest.push(...args.slice(i + 1));
        i = args.length;
        break;
      default:
        if (a.startsWith('-') && a !== '-') throw new TsplayError('options', `unknown option ${a} for 'lab ${cmd}'`);
        p.rest.push(a);
    }
  }
  return p;
}

function sudoChoice(v: string | undefined): SudoChoice {
  if (v === undefined) return 'nopasswd';
  if (v === 'nopasswd' || v === 'password' || v === 'mixed') return v;
  throw new TsplayError('options', `--sudo must be nopasswd, password or mixed (got '${v}')`);
}

const out = (s: string) => process.stdout.write(s + '\n');
const log = (s: string) => process.stderr.write(s + '\n');

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(w[c]!))).join('  ')).join('\n');
}

/** `lab features [--json] [FEATURE...]`: probe now (no lab needed); exit 1 when a named feature is missing. */
function features(p: Parsed): number {
  const unknown = p.rest.filter((n) => !(FEATURE_NAMES as string[]).includes(n));
  if (unknown.length) throw new TsplayError('options', `unknown feature '${unknown[0]}' (features: ${FEATURE_NAMES.join(' ')})`);
  const names = (p.rest.length ? p.rest : FEATURE_NAMES) as FeatureName[];
  const k: KernelFeatures = detectFeatures();
  if (p.json) out(JSON.stringify(k));
  else {
    out(`kernel ${k.kernel}`);
    out(table(featuresTable(k, names)));
  }
  return names.every((n) => hasFeature(k, n)) ? 0 : 1;
}

async function run(cmd: string, p: Parsed): Promise<number> {
  switch (cmd) {
    case 'image': {
      const t0 = Date.now();
      const info = await ensureImage({ rebuild: p.rebuild, log });
      await ensureRootfs({ log });
      const meta = readImageMeta(info);
      out(`image ${info.hash}: ${info.tarball}`);
      if (meta) out(`  built ${meta.builtAt} in ${meta.buildSeconds} s, ${(meta.tarballBytes / 2 ** 20).toFixed(1)} MiB, from ${meta.mirrors.main}`);
      out(`  rootfs ${info.rootfs}`);
      for (const p of pruneImages()) out(`  removed old ${p}`);
      if (Date.now() - t0 > 1000) out(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return 0;
    }
    case 'up': {
      if (p.rest.length === 0) throw new TsplayError('options', 'lab up needs N or host names');
      const spec = p.rest.length === 1 && /^\d+$/.test(p.rest[0]!) ? Number(p.rest[0]) : p.rest;
      const t0 = Date.now();
      const s = await labUp({ name: p.name, hosts: hostList(spec), sudo: sudoChoice(p.sudo), log });
      out(table([['HOST', 'IP', 'SUDO'], ...s.hosts.map((h) => [h.name, h.ip, h.sudo])]));
      out(`lab '${s.name}' up: ${s.hosts.length} host(s) on ${s.bridge} ${s.subnet} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      out(`inventory: ${s.inventory}`);
      out(`ssh:       ssh -F ${s.sshConfig} ${s.hosts[0]!.name}`);
      if (s.features) out(`features:  ${featuresLine(s.features)}  (why: tsplay lab features)`);
      return 0;
    }
    case 'down': {
      if (p.rest.length) throw new TsplayError('options', `unexpected argument '${p.rest[0]}' (lab down [--name LAB | --all])`);
      if (p.all) {
        const labs = await labDownAll();
        out(labs.length ? `removed lab(s): ${labs.join(' ')}` : 'no labs');
      } else {
        out((await labDown(p.name)) ? `lab '${p.name}' removed` : `no lab '${p.name}' (nothing left behind)`);
      }
      return 0;
    }
    case 'status': {
      if (p.rest.length) throw new TsplayError('options', `unexpected argument '${p.rest[0]}' (lab status [--name LAB])`);
      if (!p.nameGiven) {
        const labs = listLabs();
        if (!labs.length) {
          out('no labs');
          return 0;
        }
        const rows = labs.map((s) => {
          const st = labHostStatus(s);
          return [s.name, s.bridge, s.subnet, `${st.filter((h) => h.up).length}/${st.length}`, s.dir];
        });
        out(table([['LAB', 'BRIDGE', 'SUBNET', 'UP', 'DIR'], ...rows]));
        return 0;
      }
      const s = getLab(p.name);
      const st = labHostStatus(s);
      out(`lab '${s.name}' ${s.bridge} ${s.subnet} ${s.dir}`);
      if (s.features) out(`features at up: ${featuresLine(s.features)}`);
      out(table([['HOST', 'IP', 'SUDO', 'PID1', 'STATE'], ...st.map((h) => [h.name, h.ip, h.sudo, String(h.pid ?? '-'), h.up ? 'up' : 'DOWN'])]));
      return st.every((h) => h.up) ? 0 : 1;
    }
    case 'inventory': {
      const s = getLab(p.name);
      if (p.path) out(s.inventory);
      else process.stdout.write(`# ${s.inventory}\n` + readFileSync(s.inventory, 'utf8'));
      return 0;
    }
    case 'exec': {
      const [host, ...cmdv] = p.rest;
      if (!host) throw new TsplayError('options', 'lab exec needs a HOST');
      const argv = cmdv.length ? ['/bin/sh', '-c', cmdv.join(' ')] : ['/bin/bash', '-l'];
      return (await labExec(p.name, host, argv, { inherit: true })).rc;
    }
    case 'restart': {
      if (!p.rest.length) throw new TsplayError('options', 'lab restart needs host names');
      const t0 = Date.now();
      await labRestart(p.name, p.rest);
      out(`restarted ${p.rest.join(' ')} in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
      return 0;
    }
    case 'features':
      return features(p);
    default:
      throw new TsplayError('options', `unknown lab command '${cmd}'`, { hint: 'tsplay lab --help' });
  }
}

export async function labCommand(argv: string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd || cmd === '-h' || cmd === '--help' || cmd === 'help') {
    (cmd ? out : log)(USAGE);
    return cmd ? 0 : 2;
  }
  try {
    const p = parse(cmd, args);
    if (p.help) {
      out(USAGE);
      return 0;
    }
    return await run(cmd, p);
  } catch (e) {
    if (isTsplayError(e)) log(`tsplay lab ${cmd}: ${e.format()}`);
    else log(`tsplay lab ${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof TsplayError && e.code === 'options' ? 2 : 1;
  }
}
