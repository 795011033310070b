/**
 * The conformance cases and the output normalisation shared by the test (conformance.test.ts) and the recorder
 * (record.mjs, which runs the real ansible-playbook 2.14 to write expected/*.txt).
 *
 * Normalised output keeps what must agree between tsplay and Ansible — banners, per-host result lines and their
 * JSON, included files, the recap, the exit code — and drops what can't: result order between hosts (parallel),
 * timings, connection error wording, lab addresses, Ansible's temp paths, diff bodies (module-specific headers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = join(ROOT, 'test/fixtures/conformance');

/**
 * name: expected/<name>.txt; playbooks: relative to FIXTURES; args: extra CLI arguments;
 * inventory: 'lab' (the lab's own) or 'ghost' (lab + an unreachable host); pre: shell run as root on every host
 * first; raw: compare the whole output (listings) instead of the run normaliser; diffs: mark the results a diff
 * preceded; known: deliberate differences, [Ansible's text, tsplay's text] replaced in the expected output before
 * comparing.
 */
export const cases = [
  { name: 'precedence', playbooks: ['precedence.yml'], args: ['-e', 'x_extra=extra'] },
  { name: 'magic', playbooks: ['magic.yml'] },
  { name: 'magic-check-diff', playbooks: ['magic.yml'], args: ['--check', '--diff'] },
  // deliberate difference: Ansible 2.14 labels a no_log item "None" (the censored result lost its label)
  { name: 'loops', playbooks: ['loops.yml'], known: [['(item=None)', '(item=(censored due to no_log))']] },
  { name: 'handlers', playbooks: ['handlers.yml'] },
  { name: 'handlers-force', playbooks: ['handlers.yml'], args: ['--force-handlers'] },
  { name: 'blocks', playbooks: ['blocks.yml'] },
  { name: 'max-fail', playbooks: ['max-fail.yml'] },
  { name: 'any-errors-fatal', playbooks: ['any-errors-fatal.yml'] },
  { name: 'any-errors-fatal-sections', playbooks: ['any-errors-fatal-sections.yml'] },
  { name: 'any-errors-fatal-include', playbooks: ['any-errors-fatal-include.yml'] },
  { name: 'all-failed', playbooks: ['all-failed.yml'] },
  { name: 'serial', playbooks: ['serial.yml'] },
  { name: 'delegation', playbooks: ['delegation.yml'] },
  { name: 'task-keywords', playbooks: ['task-keywords.yml'], pre: 'rm -f /tmp/conf-check-mode /tmp/conf-counter' },
  { name: 'reuse', playbooks: ['reuse.yml'], pre: 'rm -f /tmp/conf-web.conf /tmp/conf-web-motd' },
  { name: 'reuse-again', playbooks: ['reuse.yml'] },
  { name: 'unreachable', playbooks: ['unreachable.yml'], inventory: 'ghost' },
  { name: 'tags', playbooks: ['tags.yml'] },
  ...[
    ['a', '--tags', 'a'],
    ['b', '--tags', 'b'],
    ['skip-a', '--skip-tags', 'a'],
    ['debugonly', '--tags', 'debugonly'],
    ['imp', '--tags', 'imp'],
    ['inc', '--tags', 'inc'],
    ['tagged', '--tags', 'tagged'],
    ['untagged', '--tags', 'untagged'],
    ['skip-always', '--skip-tags', 'always'],
    ['playtag', '--tags', 'playtag'],
    ['skip-playtag', '--skip-tags', 'playtag'],
  ].map(([n, ...args]) => ({ name: `tags-${n}`, playbooks: ['tags.yml'], args })),
  ...[['all'], ['tag3', '--tags', 'tag3'], ['tag5', '--tags', 'tag5'], ['skip-tag4', '--skip-tags', 'tag4']].map(([n, ...args]) => ({
    name: `tags-templated-${n}`,
    playbooks: ['tags-templated.yml'],
    args,
  })),
  { name: 'list-tasks-templated', playbooks: ['tags-templated.yml'], args: ['--list-tasks'], raw: true },
  { name: 'list-tags-templated', playbooks: ['tags-templated.yml'], args: ['--list-tags', '--tags', 'tag5'], raw: true },
  { name: 'argspec', playbooks: ['argspec.yml'] },
  { name: 'argspec-tags', playbooks: ['argspec.yml'], args: ['--tags', 'nothing'] },
  { name: 'variable-args', playbooks: ['variable-args.yml'], pre: 'rm -f /tmp/conf-va-1 /tmp/conf-va-2' },
  { name: 'cli-extra-vars-file', playbooks: ['cli.yml'], args: ['-e', '@vars/extra.yml'], pre: 'rm -f /tmp/conf-cli.txt' },
  { name: 'cli-check-diff', playbooks: ['cli.yml'], args: ['--check', '--diff', '-e', 'content=v3'] },
  { name: 'cli-start-at-task', playbooks: ['cli.yml'], args: ['--start-at-task', 'modes'] },
  { name: 'list-tasks', playbooks: ['reuse.yml', 'tags.yml'], args: ['--list-tasks'], raw: true },
  { name: 'list-tags', playbooks: ['reuse.yml', 'tags.yml'], args: ['--list-tags'], raw: true },
  { name: 'list-hosts', playbooks: ['reuse.yml', 'magic.yml'], args: ['--list-hosts'], raw: true },
  { name: 'list-tasks-filtered', playbooks: ['tags.yml'], args: ['--list-tasks', '--tags', 'imp,a', '--skip-tags', 'always'], raw: true },
  { name: 'syntax-check', playbooks: ['reuse.yml', 'handlers.yml'], args: ['--syntax-check'], raw: true },
  // task keywords templated per host (set_fact, register, extra vars, loop item), undefined, of the wrong type
  {
    name: 'keywords-templated',
    playbooks: ['keywords-templated.yml'],
    args: ['-e', 'ev_yes=yes', '-e', 'ev_no=no'],
    pre: 'rm -f /tmp/conf-kw-check /tmp/conf-kw-diff',
    diffs: true,
  },
  { name: 'keywords-ignore-errors', playbooks: ['keywords-ignore-errors.yml'] },
  { name: 'keywords-ignore-errors-extra-false', playbooks: ['keywords-ignore-errors.yml'], args: ['-e', 'flag=false'] },
  { name: 'keywords-ignore-errors-extra-true', playbooks: ['keywords-ignore-errors.yml'], args: ['-e', 'flag=true'] },
  { name: 'keywords-undefined', playbooks: ['keywords-undefined.yml'] },
  { name: 'keywords-any-errors-fatal', playbooks: ['keywords-any-errors-fatal.yml'] },
  { name: 'keywords-unreachable', playbooks: ['keywords-unreachable.yml'], inventory: 'ghost', args: ['-e', 'ev_no=no'] },
  { name: 'native', playbooks: ['native.yml'], pre: 'rm -f /tmp/conf-native-?' },
];

/** ansible-playbook's environment for the comparisons: no colours, no retry files, pipelining (fewer round trips). */
export const ansibleEnv = {
  ANSIBLE_NOCOLOR: '1',
  ANSIBLE_FORCE_COLOR: '0',
  ANSIBLE_RETRY_FILES_ENABLED: 'False',
  ANSIBLE_LOCALHOST_WARNING: 'False',
  ANSIBLE_DEPRECATION_WARNINGS: 'False',
  ANSIBLE_PIPELINING: 'True',
};

/** The expected output of a case, with its deliberate differences applied. */
export function expected(c) {
  let text = readFileSync(join(FIXTURES, 'expected', `${c.name}.txt`), 'utf8');
  for (const [from, to] of c.known ?? []) text = text.split(from).join(to);
  return text;
}

/** The lab inventory plus host `ghost` (node1's address, a closed port): unreachable at once. */
export function ghostInventory(labInventory, out) {
  const text = readFileSync(labInventory, 'utf8');
  const ip = /node1:\s*\n\s*ansible_host:\s*(\S+)/.exec(text)?.[1];
  if (!ip) throw new Error(`no node1 address in ${labInventory}`);
  writeFileSync(
    out,
    text.replace(/^ {2}children:\n/m, `  children:\n    ghosts:\n      hosts:\n        ghost:\n          ansible_host: ${ip}\n          ansible_port: 2\n`),
  );
  return out;
}

const RESULT = /^(ok|changed|skipping|fatal|failed|included|\.\.\.ignoring|FAILED - RETRYING)/;
const BANNER = /^(PLAY|TASK|RUNNING HANDLER|PLAY RECAP|NO MORE HOSTS LEFT)\b.*\*{3,}$/;

/** What is undefined, as both say it: a variable, or an attribute or key of a defined one. */
const CAUSE = String.raw`'\w+' is undefined|'[^'"]*' has no attribute '[^'"]*'`;
/** The rest of a JSON string value (up to its closing quote). */
const REST = String.raw`(?:[^"\\]|\\.)*`;

/**
 * An undefined variable or a bad value in a keyword or a condition: Ansible words it its way (repeating the cause,
 * appending an excerpt of the file), tsplay its own (starting with file:line:col). Both are reduced to tsplay's
 * wording without the position (the runner tests check the positions).
 */
function keywordErrors(line) {
  return line
    .replace(/("(?:msg|changed_when_result|failed_when_result)": ")<ROOT>\/[^"]*?:\d+:\d+: /g, '$1')
    .replace(
      new RegExp(String.raw`The field '(\w+)' has an invalid value, which includes an undefined variable\. The error was: (${CAUSE})${REST}`, 'g'),
      "keyword '$1' uses an undefined variable: $2",
    )
    .replace(
      new RegExp(String.raw`The conditional check '(.*?)' failed\. The error was: error while evaluating conditional \(.*?\): (${CAUSE})${REST}`, 'g'),
      "the conditional check '$1' failed: $2",
    )
    .replace(new RegExp(String.raw`(uses an undefined variable: |failed: )'[\w.]+' is undefined \((${CAUSE})\)`, 'g'), '$1$2')
    .replace(
      new RegExp(String.raw`the field '(\w+)' has an invalid value \((.*?)\), and could not be converted to an \w+\.${REST}`, 'g'),
      "keyword '$1' has an invalid value ($2)",
    )
    .replace(new RegExp(String.raw`(keyword '\w+' has an invalid value \(.*?\)): ${REST}`, 'g'), '$1');
}

function clean(line) {
  const l = line
    .trimEnd()
    .split(ROOT + '/')
    .join('<ROOT>/') // the checkout's path differs between machines (CI clones elsewhere)
    .replace(/(UNREACHABLE! => ).*/, '$1...')
    .replace(/"(delta|end|start)": "[^"]*"/g, '"$1": "X"')
    .replace(/"attempts": \d+, /g, '')
    .replace(/\b10\.\d+\.\d+\.\d+\b/g, 'IP')
    .replace(/^(included: .* for )([^=]*?)( => |$)/, (_m, a, hosts, b) => a + hosts.split(', ').sort().join(', ') + b);
  return keywordErrors(l);
}

/**
 * Normalise a playbook run's output (stdout) and exit code. With `diffs`, a result that a diff preceded is marked
 * `(diff)` (which results show a diff is compared, not the diff's text).
 */
export function normalizeRun(out, code, opts = {}) {
  const res = [`rc=${code}`];
  let section = [];
  let cur = null;
  let inDiff = false;
  let diffShown = false;
  const flush = () => {
    if (cur !== null) section.push(cur);
    cur = null;
    res.push(...section.sort());
    section = [];
  };
  for (const raw of out.split('\n')) {
    const l = clean(raw);
    if (!l.trim() || l.startsWith('[WARNING]') || l.startsWith('[DEPRECATION WARNING]')) continue;
    if (inDiff && /^(@@|\+|-| |\\)/.test(l)) continue;
    inDiff = false;
    if (l.startsWith('--- ')) {
      inDiff = true;
      diffShown = !!opts.diffs;
      continue;
    }
    if (BANNER.test(l)) {
      flush();
      const head = l.replace(/\s*\*+$/, '');
      if (res[res.length - 1] !== head) res.push(head);
      continue;
    }
    if (RESULT.test(l) || /^\S+\s+: ok=/.test(l)) {
      if (cur !== null) section.push(cur);
      cur = diffShown ? `(diff) ${l}` : l;
      diffShown = false;
      continue;
    }
    if (cur !== null) cur += '\n' + l;
    else res.push(l);
  }
  flush();
  return res.join('\n') + '\n';
}

/** Listings (--list-*, --syntax-check): the output as is, hosts of a `hosts (N):` list sorted. */
export function normalizeRaw(out, code) {
  const lines = out.split('\n').map((l) =>
    l
      .trimEnd()
      .split(ROOT + '/')
      .join('<ROOT>/'),
  );
  const res = [`rc=${code}`];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    res.push(l);
    if (/^ {4}hosts \(\d+\):$/.test(l)) {
      const hosts = [];
      while (i + 1 < lines.length && /^ {6}\S/.test(lines[i + 1])) hosts.push(lines[++i]);
      res.push(...hosts.sort());
    }
  }
  return res.join('\n').replace(/\n+$/, '') + '\n';
}
