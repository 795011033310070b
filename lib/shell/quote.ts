/**
 * POSIX shell quoting, exactly Python's shlex.quote (Ansible's `quote` filter): a word of safe characters as
 * it is, anything else in single quotes, 'it'"'"'s' style; safe for any byte string except NUL.
 */
export function shq(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Quote and join argv for sh. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}
