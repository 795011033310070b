/**
 * A task whose module tsplay does not implement, run as Ansible runs it: ansible-core on the controller builds the
 * AnsiballZ payload, which is piped into the target's Python over the host's persistent shell (stdin, as with
 * Ansible's pipelining: nothing is written on the target by tsplay; the wrapper unpacks into a private temp dir
 * it removes). The module decides and does everything in one run, so check() runs it only in check mode (the
 * payload then says check mode, and a module without check-mode support reports itself skipped), and apply()
 * runs it otherwise.
 */
import { Type } from '@sinclair/typebox';
import { defineModule, type AnyModule, type CheckContext, type ResultData } from '../../contract/define.js';
import { ModuleError } from '../../errors.js';
import { payloadBuilder } from './bridge.js';
import { NO_PYTHON_MARK, normalizeResult, parseModuleOutput } from './result.js';

/** Where Ansible's auto_silent discovery looks, in its order (after ansible_python_interpreter). */
export const PYTHON_FALLBACK = ['/usr/bin/python3', 'python3', '/usr/libexec/platform-python', '/usr/bin/python', 'python'];

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The shell command that runs the payload read from stdin with the target's Python (rc 127 + a mark without one). */
export function interpreterCommand(interpreter?: string): string {
  const list = interpreter ? [interpreter] : PYTHON_FALLBACK;
  return `for p in ${list.map(q).join(' ')}; do if command -v "$p" >/dev/null 2>&1; then "$p" -; exit $?; fi; done; ` + `echo ${NO_PYTHON_MARK} >&2; exit 127`;
}

export interface AnsibleModuleInfo {
  /** the name the task used */
  name: string;
  fqcn: string;
  path: string;
  /** module_utils/ directories the payload may take module_utils from (the role's, the playbook's) */
  moduleUtils?: string[];
  /** the controller's ansible-core version */
  version?: string;
}

interface RunInfo {
  result: ResultData;
}

async function runPayload(ctx: CheckContext, info: AnsibleModuleInfo, args: Record<string, unknown>): Promise<RunInfo> {
  const moduleArgs: Record<string, unknown> = {
    ...args,
    _ansible_check_mode: ctx.checkMode,
    _ansible_no_log: ctx.noLog === true,
    _ansible_debug: false,
    _ansible_diff: ctx.diffMode,
    _ansible_verbosity: ctx.verbosity ?? 0,
    _ansible_version: info.version ?? '',
    _ansible_module_name: info.fqcn,
    _ansible_syslog_facility: 'LOG_USER',
    _ansible_selinux_special_fs: ['fuse', 'nfs', 'vboxsf', 'ramfs', '9p', 'vfat'],
    _ansible_string_conversion_action: 'warn',
    _ansible_shell_executable: '/bin/sh',
    _ansible_keep_remote_files: false,
    _ansible_tmpdir: null,
    _ansible_remote_tmp: String(ctx.vars['ansible_remote_tmp'] ?? '~/.ansible/tmp'),
  };
  let payload: Buffer;
  try {
    payload = await payloadBuilder().build({
      module: info.fqcn,
      path: info.path,
      args: moduleArgs,
      module_utils: info.moduleUtils,
      become: ctx.become,
      become_user: ctx.becomeUser,
    });
  } catch (e) {
    throw new ModuleError(`the Ansible module ${info.fqcn} could not be packed by ansible-core: ${(e as Error).message}`);
  }
  const interp = typeof ctx.vars['ansible_python_interpreter'] === 'string' ? String(ctx.vars['ansible_python_interpreter']) : undefined;
  const interpreter = interp && !interp.startsWith('auto') ? interp : undefined;
  // probe() is run() here: this is the only command of the task, and in check mode the payload itself changes nothing
  const r = await ctx.probe(interpreterCommand(interpreter), { stdin: payload });
  if (r.rc === 127 && r.stderr.includes(NO_PYTHON_MARK)) {
    throw new ModuleError(
      `the Ansible module ${info.fqcn} needs Python on the target, and ${ctx.host} has none (looked for ${(interpreter ? [interpreter] : PYTHON_FALLBACK).join(', ')}); ` +
        'install python3 or set ansible_python_interpreter',
    );
  }
  const { result: raw, notes } = parseModuleOutput(r.stdout, r.stderr, r.rc);
  const { result, warnings } = normalizeResult(raw);
  for (const w of [...notes, ...warnings]) ctx.warn(w);
  return { result };
}

function fail(r: RunInfo): never {
  const { msg, rc, stdout, stderr, failed: _f, changed: _c, ...rest } = r.result;
  throw new ModuleError(String(msg ?? 'the module failed'), {
    rc: typeof rc === 'number' ? rc : undefined,
    stdout: typeof stdout === 'string' ? stdout : undefined,
    stderr: typeof stderr === 'string' ? stderr : undefined,
    result: rest,
  });
}

/** A tsplay module standing for one Ansible module: any arguments (the module validates them), run as Ansible runs it. */
export function ansibleModule(info: AnsibleModuleInfo): AnyModule {
  return defineModule({
    name: info.name,
    description: `the Ansible module ${info.fqcn} (${info.path}), run with the target's Python`,
    origin: `Ansible module ${info.fqcn}`,
    args: Type.Object({}, { additionalProperties: true }),
    freeForm: '_raw_params',
    async check(ctx, args) {
      if (!ctx.checkMode) return { changed: true, summary: `run the Ansible module ${info.fqcn}`, plan: null };
      const r = await runPayload(ctx, info, args);
      if (r.result.failed) fail(r);
      if (r.result.changed) return { changed: true, summary: String(r.result.msg ?? `${info.fqcn} would change`), plan: null, result: r.result };
      return { changed: false, result: r.result };
    },
    async apply(ctx, args) {
      const r = await runPayload(ctx, info, args);
      if (r.result.failed) fail(r);
      return r.result;
    },
  });
}
