/** lib/slurm: slurm.conf lines (parse, render, summary, staging for the parser check) and Slurm versions. */
import { describe, expect, it } from 'vitest';
import { parseConf, renderLine, renderValue, stageMainConf, summarize } from './conf-line.js';
import { atLeast, parseSlurmVersion } from './version.js';

describe('slurm.conf lines', () => {
  it('renders values the way Slurm reads them', () => {
    expect(renderValue(true)).toBe('YES');
    expect(renderValue(['cloud', 'azure'])).toBe('cloud,azure');
    expect(renderValue('a b')).toBe('"a b"');
    expect(
      renderLine([
        ['NodeName', 'c[1-2]'],
        ['CPUs', 4],
        ['Gres', undefined],
        ['State', 'CLOUD'],
      ]),
    ).toBe('NodeName=c[1-2] CPUs=4 State=CLOUD');
  });
  it('parses comments, \\#, quotes, continuations and Include', () => {
    const l = parseConf('# x\nNodeName=c1 Feature="a b" # tail\nReason=a\\#b\nInclude  cloud.conf\nPartitionName=p \\\n Nodes=c1\n');
    expect(l).toEqual([
      {
        line: 2,
        pairs: [
          ['NodeName', 'c1'],
          ['Feature', 'a b'],
        ],
      },
      { line: 3, pairs: [['Reason', 'a#b']] },
      { line: 4, include: 'cloud.conf', pairs: [] },
      {
        line: 5,
        pairs: [
          ['PartitionName', 'p'],
          ['Nodes', 'c1'],
        ],
      },
    ]);
  });
  it('summarizes nodes, partitions, defaults and globals; DEFAULT lines skipped', () => {
    const s = summarize('NodeName=DEFAULT CPUs=2\nNodeName=n[1-2]\nPartitionName=p Nodes=n[1-2] Default=YES\nSuspendTime=30\n', 'm');
    expect([...s.nodes.keys()]).toEqual(['n1', 'n2']);
    expect(s.nodes.get('n2')).toBe('m:2');
    expect(s.defaultPartitions).toEqual(['p']);
    expect(s.globals.has('suspendtime')).toBe(true);
  });
  it('stages the main slurm.conf: our Include pointed at the copy, relative ones made absolute', () => {
    expect(stageMainConf('A=1\nInclude /etc/slurm/cloud.conf\nInclude acct.conf\n', '/etc/slurm', '/etc/slurm/cloud.conf', 'cloud.conf')).toBe(
      'A=1\nInclude cloud.conf\nInclude /etc/slurm/acct.conf\n',
    );
    expect(stageMainConf('A=1\n', '/etc/slurm', '/etc/slurm/cloud.conf', 'cloud.conf')).toBe('A=1\nInclude cloud.conf\n');
  });
});

describe('Slurm versions', () => {
  it('reads -V output and compares releases', () => {
    const v = parseSlurmVersion('slurm-wlm 22.05.8\n')!;
    expect(v.text).toBe('22.05.8');
    expect(atLeast(v, '22.05')).toBe(true);
    expect(atLeast(v, '23.02')).toBe(false);
    expect(parseSlurmVersion('slurm 24.11.1')!.major).toBe(24);
    expect(parseSlurmVersion('')).toBeUndefined();
  });
});
