/** Ansible's playbook keywords (ansible-core 2.14 "Playbook Keywords"), by level. */

const common = [
  'name', 'any_errors_fatal', 'become', 'become_exe', 'become_flags', 'become_method', 'become_user', 'check_mode',
  'collections', 'connection', 'debugger', 'diff', 'environment', 'ignore_errors', 'ignore_unreachable',
  'module_defaults', 'no_log', 'port', 'remote_user', 'run_once', 'tags', 'throttle', 'timeout', 'vars',
];

export const PLAY_KEYWORDS = new Set([
  ...common, 'hosts', 'fact_path', 'force_handlers', 'gather_facts', 'gather_subset', 'gather_timeout', 'handlers',
  'max_fail_percentage', 'order', 'post_tasks', 'pre_tasks', 'roles', 'serial', 'strategy', 'tasks', 'vars_files',
  'vars_prompt',
]);

export const BLOCK_KEYWORDS = new Set([...common, 'when', 'delegate_to', 'delegate_facts', 'block', 'rescue', 'always', 'notify']);

export const TASK_KEYWORDS = new Set([
  ...common, 'when', 'delegate_to', 'delegate_facts', 'action', 'args', 'async', 'changed_when', 'delay',
  'failed_when', 'local_action', 'loop', 'loop_control', 'notify', 'poll', 'register', 'retries', 'until', 'listen',
  'with_items', 'with_list', 'with_dict', 'with_indexed_items', 'with_fileglob', 'with_sequence', 'with_together',
  'with_nested', 'with_subelements', 'with_flattened', 'with_random_choice', 'with_first_found', 'with_lines', 'with_inventory_hostnames',
]);

/** Keys of an import_playbook entry. */
export const IMPORT_PLAYBOOK_KEYWORDS = new Set(['import_playbook', 'ansible.builtin.import_playbook', 'name', 'vars', 'tags', 'when']);

/** Task-level keys that are directives handled by the engine rather than modules. */
export const INCLUDE_KEYS = new Set([
  'include_tasks', 'import_tasks', 'include_role', 'import_role', 'meta',
  'ansible.builtin.include_tasks', 'ansible.builtin.import_tasks', 'ansible.builtin.include_role',
  'ansible.builtin.import_role', 'ansible.builtin.meta',
]);
