/** --list-hosts / --list-tasks / --list-tags, in ansible-playbook's format (hosts in inventory order). */
import type { Inventory } from '../config/inventory/index.js';
import type { Playbook, TaskNode, Vars } from '../config/playbook-types.js';
import { roleTaskName } from '../config/roles.js';
import { renderTags, tagsSelected } from '../engine/context.js';
import { pyRepr, renderValue } from '../engine/templating/index.js';

export interface ListOptions {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
  onlyTags: string[];
  skipTags: string[];
  limit?: string[];
  extraVars: Vars;
}

export function listPlaybooks(books: { name: string; pb: Playbook }[], inv: Inventory, o: ListOptions, out: (s: string) => void): void {
  for (const { name, pb } of books) {
    out(`\nplaybook: ${name}`);
    pb.plays.forEach((play, i) => {
      const pat = renderValue(play.hosts, { ...play.vars, ...o.extraVars });
      const pats = Array.isArray(pat) ? pat.map(String) : [String(pat)];
      const playTags = [...new Set(play.tags)];
      let msg = `\n  play #${i + 1} (${pats.join(',')}): ${play.name ?? pats.join(',')}\tTAGS: [${playTags.join(',')}]`;
      if (o.hosts) {
        const sel = inv.select(pats, { limit: o.limit });
        msg += `\n    pattern: ${pyRepr(pats)}\n    hosts (${sel.hosts.length}):`;
        for (const h of sel.hosts) msg += `\n      ${h}`;
      }
      out(msg);
      if (!o.tasks && !o.tags) return;
      const allTags = new Set<string>();
      let taskMsg = o.tasks ? '    tasks:\n' : '';
      const walk = (nodes: TaskNode[], inherited: string[]) => {
        for (const n of nodes) {
          if (n.kind === 'block') {
            walk([...n.block, ...n.rescue, ...n.always], [...inherited, ...n.tags]);
            continue;
          }
          // selected by its tags templated (evaluate_tags); listed, as ansible-playbook lists them, with the
          // blocks' and the play's tags also as written (Task.tags extends the templated own tags with the parents')
          const rendered = renderTags([...inherited, ...n.tags], () => ({ ...play.vars, ...o.extraVars }));
          if (!tagsSelected(rendered, o.onlyTags, o.skipTags)) continue;
          const t = [...rendered, ...inherited];
          for (const x of t) allTags.add(x);
          if (!o.tasks) continue;
          const action = n.kind === 'task' ? n.action : n.kind === 'include' ? n.directive : 'meta';
          const label = n.name ? (n.kind === 'task' ? roleTaskName(n) : n.role ? `${n.role.name} : ${n.name}` : n.name) : action;
          taskMsg += `      ${label}\tTAGS: [${[...new Set(t)].sort().join(', ')}]\n`;
        }
      };
      walk([...play.preTasks, ...play.tasks, ...play.postTasks], playTags);
      if (o.tags) taskMsg += `      TASK TAGS: [${[...allTags].sort().join(', ')}]\n`;
      out(taskMsg.replace(/\n$/, ''));
    });
  }
}
