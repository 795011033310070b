/** An Ansible module's output read as ansible-core reads it (action/__init__.py _parse_returned_data, task_executor). */
import type { ResultData } from '../../contract/define.js';

/** What the interpreter-finding shell prints on stderr when the target has no Python. */
export const NO_PYTHON_MARK = '__tsplay_no_python__';

export interface Parsed {
  result: ResultData;
  /** tsplay's own notes (junk around the JSON), shown as warnings */
  notes: string[];
}

/**
 * The JSON object in a module's stdout: text before the first line opening a JSON object and after its end is
 * dropped with a warning (Ansible's _filter_non_json_lines); no JSON at all is a MODULE FAILURE.
 */
export function parseModuleOutput(stdout: string, stderr: string, rc: number): Parsed {
  const notes: string[] = [];
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^\s*\{/.test(l));
  if (start >= 0) {
    const before = lines.slice(0, start).join('\n').trim();
    const rest = lines.slice(start).join('\n');
    const end = rest.lastIndexOf('}');
    const text = rest.slice(0, end + 1);
    const after = rest.slice(end + 1).trim();
    try {
      const data = JSON.parse(text) as unknown;
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        if (before) notes.push(`Module invocation had junk before the JSON data: ${before}`);
        if (after) notes.push(`Module invocation had junk after the JSON data: ${after}`);
        return { result: data as ResultData, notes };
      }
    } catch {
      // not JSON: a module failure below
    }
  }
  return {
    result: {
      failed: true,
      changed: false,
      msg: 'MODULE FAILURE\nSee stdout/stderr for the exact error',
      module_stdout: stdout,
      module_stderr: stderr,
      rc,
    },
    notes,
  };
}

/**
 * The result as ansible-core's task executor leaves it: `failed` from rc when the module did not say, `changed`
 * false by default, stdout_lines/stderr_lines beside stdout/stderr, interpreter discovery's fact dropped.
 * Warnings and deprecations are taken out (the caller shows them); the diff stays Ansible's (registered as
 * Ansible registers it; the renderer reads both shapes, output/diff.ts).
 */
export function normalizeResult(r: ResultData): { result: ResultData; warnings: string[] } {
  const result: ResultData = { ...r };
  const warnings: string[] = [];
  if (Array.isArray(result['warnings'])) for (const w of result['warnings'] as unknown[]) warnings.push(String(w));
  delete result['warnings'];
  if (Array.isArray(result['deprecations'])) {
    for (const d of result['deprecations'] as Record<string, unknown>[]) {
      const when = d?.['version']
        ? ` This feature will be removed in version ${String(d['version'])}.`
        : d?.['date']
          ? ` This feature will be removed after ${String(d['date'])}.`
          : '';
      warnings.push(`[DEPRECATION WARNING]: ${String(d?.['msg'] ?? d)}${when}`);
    }
  }
  if (result.failed === undefined) result.failed = result.rc !== undefined && result.rc !== 0 && (result.rc as unknown) !== '0';
  result.changed = result.changed === true || (result.changed as unknown) === 'true';
  if (typeof result.stdout === 'string' && !('stdout_lines' in result)) result['stdout_lines'] = result.stdout ? result.stdout.split('\n') : [];
  if (typeof result.stderr === 'string' && !('stderr_lines' in result)) result['stderr_lines'] = result.stderr ? result.stderr.split('\n') : [];
  const facts = result.ansible_facts;
  if (facts && typeof facts === 'object') {
    const f = { ...facts };
    delete f['discovered_interpreter_python'];
    result.ansible_facts = f;
  }
  delete result['_ansible_no_log'];
  return { result, warnings };
}
