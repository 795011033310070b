/** What the runner reports. Renderers (plain, listr2, JSON) turn these into output. */
import type { ResultData } from '../contract/define.js';
import type { SourcePos } from '../errors.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export const emptyStats = (): HostStats => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

export type RunEvent =
  /** plays: how many the playbook has (imports included); path: as given (relative to the working directory) */
  | { type: 'playbook_start'; file: string; check: boolean; plays?: number; path?: string }
  | { type: 'play_start'; name: string; hosts: string[]; source?: SourcePos }
  | { type: 'no_hosts'; pattern: string }
  /** a play was aborted (any_errors_fatal, max_fail_percentage): nothing more runs */
  | { type: 'no_hosts_remaining' }
  | {
      type: 'task_start';
      name: string;
      action: string;
      hosts: string[];
      handler: boolean;
      source?: SourcePos;
      path?: string;
      /** the module is not tsplay's own: where it comes from ("Ansible module community.general.timezone") */
      origin?: string;
    }
  | {
      type: 'host_result';
      host: string;
      task: string;
      status: HostStatus;
      result: ResultData;
      /** loop item label when this is one item of a loop */
      item?: string;
      delegatedTo?: string;
      /** the delegated host's address when it differs from its name (shown as `-> name(addr)`) */
      delegatedAddr?: string;
      ignored?: boolean;
      noLog?: boolean;
      /** the task's diff setting (--diff, or diff: on the task) */
      diff?: boolean;
      /** the summary of a loop whose items were reported one by one (only "skipping" / "...ignoring" show) */
      loopEnd?: boolean;
    }
  /** until: an attempt failed, the task will run again */
  | { type: 'retry'; host: string; task: string; retriesLeft: number; result: ResultData; noLog?: boolean }
  /** include_tasks: the file was included for these hosts */
  | { type: 'include'; file: string; hosts: string[]; item?: string }
  | { type: 'warning'; message: string }
  /** what a meta task did (ansible-playbook -vv shows `META: ...`) */
  | { type: 'meta'; msg: string }
  /** an error that fails hosts without a task result (ansible-core's display.error: `ERROR! ...` on stderr) */
  | { type: 'error'; message: string }
  | { type: 'recap'; stats: Record<string, HostStats>; durationMs: number };

export interface EventSink {
  verbosity: number;
  diff: boolean;
  emit(e: RunEvent): void;
  /** flush (listr2) */
  end(): Promise<void>;
}
