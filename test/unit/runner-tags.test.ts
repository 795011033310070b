/**
 * Tag selection: tsplay's tagsSelected against ansible-core's own Taggable.evaluate_tags (the installed
 * ansible-core 2.14, called through /usr/bin/python3) on every combination of task tags, --tags and --skip-tags
 * below — including always, never, tagged, untagged and all.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { tagsSelected } from '../../src/engine/context.js';

const taskTags = [[], ['a'], ['a', 'b'], ['always'], ['never'], ['never', 'a'], ['always', 'a'], ['always', 'never']];
const only = [[], ['all'], ['a'], ['b'], ['tagged'], ['untagged'], ['never'], ['always'], ['a', 'untagged'], ['all', 'never']];
const skip = [[], ['a'], ['always'], ['all'], ['tagged'], ['untagged'], ['never'], ['b', 'always']];

const matrix = taskTags.flatMap((t) => only.flatMap((o) => skip.map((s) => [t, o, s] as const)));

const PY = `
import json, sys
from ansible.playbook.task import Task
out = []
for tags, only, skip in json.load(sys.stdin):
    t = Task()
    t.tags = tags
    out.append(t.evaluate_tags(only, skip, {}))
print(json.dumps(out))
`;

describe('tags: same selection as ansible-core', () => {
  it(`${matrix.length} combinations of task tags, --tags, --skip-tags`, () => {
    // no --tags is ['all'] in ansible-playbook (its CLI default); tsplay takes [] to mean the same
    const forAnsible = matrix.map(([t, o, s]) => [t, o.length ? o : ['all'], s]);
    const r = spawnSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(forAnsible), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ansible = JSON.parse(r.stdout) as boolean[];
    const mismatches = matrix.filter(([t, o, s], i) => tagsSelected(t, o, s) !== ansible[i]).map(([t, o, s]) => `tags=${t} --tags=${o} --skip-tags=${s}`);
    expect(mismatches).toEqual([]);
    // the matrix exercises both answers
    expect(ansible.filter(Boolean).length).toBeGreaterThan(50);
    expect(ansible.filter((x) => !x).length).toBeGreaterThan(50);
  });
});
