/**
 * Ansible's boolean words (module_utils/parsing/convert_bool.py, what `boolean()` accepts): the one list
 * for module arguments, task keywords, inventory connection variables and sysctl values. Two places differ
 * on purpose, as Ansible's do: the `bool` Jinja filter (src/engine/templating/filters-core.ts) and
 * set_fact's yes/no conversion (modules/util/set_fact/set-fact.ts).
 */
export const TRUE_WORDS: ReadonlySet<string> = new Set(['y', 'yes', 'on', '1', 'true', 't']);
export const FALSE_WORDS: ReadonlySet<string> = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** true/false for a boolean word (any case, blanks around ignored); undefined for any other text. */
export function boolWord(s: string): boolean | undefined {
  const l = s.trim().toLowerCase();
  if (TRUE_WORDS.has(l)) return true;
  if (FALSE_WORDS.has(l)) return false;
  return undefined;
}
