import { describe, expect, it } from 'vitest';
import { FakeHost } from '../../../test/harness/fake-host.js';
import { runModule } from '../../../test/harness/modules.js';
import { runPlaybook } from '../../../test/harness/runner.js';
import { dumpRepoIni, parseRepoIni, writeRepoIni } from './repo-ini.js';
import { planRepoFile, sectionKeys } from './yum-repository-plan.js';

describe('repo files as RawConfigParser reads and writes them', () => {
  it('lower-cases keys, joins continuation lines, drops comments, keeps section order', () => {
    const ini = parseRepoIni('# c\n[b]\nName=B\nbaseurl=http://1/\n  http://2/\n; x\nenabled : 0\n\n[a]\nk = v\n');
    expect([...ini.sections.keys()]).toEqual(['b', 'a']);
    expect(ini.sections.get('b')!.get('baseurl')).toBe('http://1/\nhttp://2/');
    expect(writeRepoIni(ini)).toBe('[b]\nname = B\nbaseurl = http://1/\n\thttp://2/\nenabled = 0\n\n[a]\nk = v\n\n');
    expect(dumpRepoIni(ini)).toBe('[a]\nk = v\n\n[b]\nbaseurl = http://1/\nhttp://2/\nenabled = 0\nname = B\n\n');
  });
  it('refuses what configparser refuses', () => {
    expect(() => parseRepoIni('k = v\n')).toThrow(/no section headers/);
    expect(() => parseRepoIni('[a]\nk = 1\nk = 2\n')).toThrow(/option 'k' in section 'a' already exists/);
    expect(() => parseRepoIni('[a]\n[a]\n')).toThrow(/section 'a' already exists/);
    expect(() => parseRepoIni('[a]\njunk\n')).toThrow(/parsing errors/);
  });
});

describe('the section ansible-core writes', () => {
  it('keys sorted by argument name, booleans 1/0, lists joined', () => {
    const k = sectionKeys({
      name: 'r',
      state: 'present',
      description: 'R',
      baseurl: 'http://a/,http://b/',
      exclude: ['x', 'y'],
      gpgcheck: false,
      priority: 5,
      reposdir: '/d',
      file: 'f',
    });
    expect([...k]).toEqual([
      ['baseurl', 'http://a/\nhttp://b/'],
      ['exclude', 'x y'],
      ['gpgcheck', '0'],
      ['name', 'R'],
      ['priority', '5'],
    ]);
  });
  it('a changed section moves to the end; absent of the last section removes the file; same content is no change', () => {
    const cur = '[r]\nname = old\nbaseurl = http://x/\n\n[s]\nname = s\nbaseurl = http://s/\n\n';
    const p = planRepoFile(cur, 'f', { name: 'r', state: 'present', description: 'new', baseurl: 'http://x/' });
    expect(p.write).toBe('[s]\nname = s\nbaseurl = http://s/\n\n[r]\nbaseurl = http://x/\nname = new\n\n');
    expect(planRepoFile('[r]\nName = old\nBaseurl = http://x/\n', 'f', { name: 'r', state: 'present', description: 'old', baseurl: 'http://x/' }).changed).toBe(
      false,
    );
    expect(planRepoFile('[r]\nname = a\n', 'f', { name: 'r', state: 'absent' })).toMatchObject({ changed: true, write: null });
    expect(planRepoFile(null, 'f', { name: 'r', state: 'absent' }).changed).toBe(false);
  });
});

describe('yum_repository on the fake host', () => {
  it("Ansible's messages for missing arguments and a missing reposdir", async () => {
    const h = new FakeHost({ dirs: ['/etc/yum.repos.d'] });
    await expect(runModule(h, 'yum_repository', { name: 'r', description: 'R' })).rejects.toThrow(
      /Parameter 'baseurl', 'metalink' or 'mirrorlist' is required/,
    );
    await expect(runModule(h, 'yum_repository', { name: 'r', baseurl: 'http://x/' })).rejects.toThrow(/Parameter 'description' is required/);
    await expect(runModule(h, 'yum_repository', { name: 'r', baseurl: 'http://x/', description: 'R', ip_resolve: '5' })).rejects.toThrow(
      /ip_resolve must be one of/,
    );
    const r = await runModule(h, 'yum_repository', { name: 'r', description: 'R', baseurl: 'http://x/', reposdir: '/nowhere' });
    expect(r.result.failed).toBe(true);
    expect(r.result.msg).toBe("Repo directory '/nowhere' does not exist.");
  });

  it("seed 001's fragment runs unchanged (yum_repository then package)", async () => {
    const seed = `- hosts: all
  tasks:
    - name: Create the Azure CLI YUM repository
      yum_repository:
        name: "azure-cli"
        description: "Azure CLI"
        baseurl: "https://packages.microsoft.com/yumrepos/azure-cli"
        gpgkey: "https://packages.microsoft.com/keys/microsoft.asc"
        gpgcheck: yes
        enabled: yes
    - name: Install the azure-cli RPM
      package:
        name: "azure-cli"
        state: present
`;
    const r = await runPlaybook(seed, { inventory: { node1: {} }, hosts: { node1: { files: { '/etc/yum.repos.d': { type: 'dir' } } } } });
    const repo = r.results('Create the Azure CLI YUM repository').node1![0]!;
    expect(repo.result, r.output).toMatchObject({ changed: true, repo: 'azure-cli', state: 'present' });
    const write = r.host('node1').runs.find((x) => x.stdin?.toString().startsWith('[azure-cli]'));
    expect(write?.stdin?.toString()).toBe(
      '[azure-cli]\nbaseurl = https://packages.microsoft.com/yumrepos/azure-cli\nenabled = 1\ngpgcheck = 1\ngpgkey = https://packages.microsoft.com/keys/microsoft.asc\nname = Azure CLI\n\n',
    );
    expect(r.results('Install the azure-cli RPM').node1).toHaveLength(1);
  });
});
