/**
 * copy's `src` on the controller: one file (through ctx.readControllerFile, Ansible's search path), or a
 * directory tree. ModuleContext has no directory lookup, so a directory is located with the same search
 * order from the magic variables (role_path, playbook_dir), then read file by file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { CheckContext } from '../../src/contract/index.js';
import { ModuleError } from '../../src/contract/index.js';

export interface SourceFile {
  /** path relative to the tree root ('' root for a single file) */
  rel: string;
  path: string;
  data: Buffer;
  mode: number;
}

export type ControllerSource = { kind: 'file'; file: SourceFile } | { kind: 'dir'; root: string; files: SourceFile[]; dirs: string[] };

function isDirError(e: unknown): boolean {
  return !!e && typeof e === 'object' && (e as { code?: string }).code === 'EISDIR';
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** Where a directory `src` is on the controller (Ansible's files/ search order). */
export async function locateControllerDir(ctx: CheckContext, src: string): Promise<string | undefined> {
  if (isAbsolute(src)) return (await isDir(src)) ? src : undefined;
  const v = ctx.vars as Record<string, unknown>;
  const bases: string[] = [];
  if (typeof v.role_path === 'string') bases.push(resolve(v.role_path, 'files'), v.role_path);
  if (typeof v.playbook_dir === 'string') bases.push(resolve(v.playbook_dir, 'files'), v.playbook_dir);
  for (const b of bases) {
    const p = resolve(b, src);
    if (await isDir(p)) return p;
  }
  return undefined;
}

async function walk(root: string, dir: string, files: SourceFile[], dirs: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    const st = await stat(p); // follows links (Ansible's local_follow default)
    if (st.isDirectory()) {
      dirs.push(relative(root, p));
      await walk(root, p, files, dirs);
    } else if (st.isFile()) {
      files.push({ rel: relative(root, p), path: p, data: await readFile(p), mode: st.mode & 0o7777 });
    }
  }
}

export async function readControllerSource(ctx: CheckContext, src: string, kind: 'files' | 'templates' = 'files'): Promise<ControllerSource> {
  try {
    const f = await ctx.readControllerFile(src, kind);
    let mode = 0o644;
    try {
      mode = (await stat(f.path)).mode & 0o7777;
    } catch {
      /* not a real file on disk (tests): keep the default */
    }
    return { kind: 'file', file: { rel: '', path: f.path, data: f.data, mode } };
  } catch (e) {
    if (!isDirError(e)) throw e;
  }
  const root = await locateControllerDir(ctx, src.replace(/\/+$/, '') || '/');
  if (!root) throw new ModuleError(`could not find directory '${src}' on the controller`);
  const files: SourceFile[] = [];
  const dirs: string[] = [];
  await walk(root, root, files, dirs);
  return { kind: 'dir', root, files, dirs };
}
