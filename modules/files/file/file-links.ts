/** The file module's link states (ln -s / ln), ported from Ansible's ensure_symlink / ensure_hardlink. */
import { ModuleError } from '../../../src/contract/index.js';
import { newFileAttrs, parentDir, type CurrentAttrs } from '../../../lib/files/index.js';
import { shq } from '../../../lib/shell/quote.js';
import { applyAttrs, cur, exists, finalStat, newPlan, prevState, type FilePlan, type FilePlanInput } from './file-states.js';

/**
 * Replace `path` atomically: build the link beside it under a random name (ln -T: never inside a directory
 * someone put there; it fails on any existing name), then rename it over `path`.
 */
function replaceWith(path: string, lnCmd: (tmp: string) => string, rmdir: boolean): string {
  const P = shq(path);
  const tmp = `"$_l"`;
  return [
    `_l=$(mktemp -u ${shq(parentDir(path) + '/.tsplay-link.XXXXXXXX')}) || exit 1`,
    `${rmdir ? `rmdir -- ${P} && ` : ''}${lnCmd(tmp)} && mv -fT -- ${tmp} ${P} || { rm -f -- ${tmp}; exit 1; }`,
  ].join('\n');
}

export function planLink(i: FilePlanInput): FilePlan {
  const prev = prevState(i.info.stat);
  let src = i.src;
  if (src === undefined && i.follow && prev === 'link' && exists(i.info)) src = i.info.linkTarget;
  const inPath = prev === 'directory';
  const absrc = src === undefined ? undefined : src.startsWith('/') ? src : `${inPath ? i.path : parentDir(i.path)}/${src}`;
  const srcInfo = inPath ? i.srcInfoInPath : i.srcInfo;
  if (!i.force && src !== undefined && !exists(srcInfo)) {
    throw new ModuleError(`src file does not exist, use "force=yes" if you really want to create the link: ${absrc}`);
  }
  if (prev === 'directory') {
    if (!i.force) throw new ModuleError(`refusing to convert from directory to symlink for ${i.path}`);
    if (!i.info.emptyDir) throw new ModuleError(`the directory ${i.path} is not empty, refusing to convert it`);
  } else if ((prev === 'file' || prev === 'hard') && !i.force) {
    throw new ModuleError(`refusing to convert from ${prev} to symlink for ${i.path}`);
  }
  const p = newPlan(i.path, 'link', prev);
  p.result = { dest: i.path, src };
  let changed = false;
  if (prev !== 'link') {
    if (src === undefined) throw new ModuleError('src is required for creating new symlinks');
    changed = true;
  } else if (src !== undefined && i.info.linkTarget !== src) {
    p.before.src = i.info.linkTarget;
    p.after.src = src;
    changed = true;
  }
  if (changed) {
    const ln = (to: string): string => `ln -s -T -- ${shq(src!)} ${to}`;
    p.steps.push({ kind: 'run', what: `linking ${i.path}`, command: prev === 'absent' ? ln(shq(i.path)) : replaceWith(i.path, ln, prev === 'directory') });
  }
  // attributes: of the link's target when following (Ansible's default), else of the link itself
  let a = false;
  if (i.follow) {
    const tst = finalStat(srcInfo);
    if (!tst) {
      if (i.attrs.owner !== undefined || i.attrs.group !== undefined || i.attrs.mode !== undefined) {
        i.warn('Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.');
      }
    } else {
      const target = srcInfo?.stat?.type === 'link' ? (srcInfo.realPath ?? absrc!) : absrc!;
      a = applyAttrs(p, target, cur(tst), i.attrs, i.facts.umask);
    }
  } else {
    const lst: CurrentAttrs = prev === 'link' ? cur(i.info.stat!) : { ...newFileAttrs(i.facts), mode: 0o777 };
    a = applyAttrs(p, i.path, lst, i.attrs, i.facts.umask, { noDeref: true, skipMode: true });
  }
  p.changed = changed || a;
  p.result.state = 'link';
  return p;
}

export function planHard(i: FilePlanInput): FilePlan {
  const path = i.info.path;
  const prev = prevState(i.info.stat);
  const src = i.src;
  if (prev !== 'hard' && src === undefined) throw new ModuleError('src is required for creating new hardlinks');
  if (src !== undefined && !exists(i.srcInfo)) throw new ModuleError('src does not exist', { result: { dest: path, src } });
  const p = newPlan(path, 'hard', prev);
  p.result = { dest: path, src };
  const srcSt = finalStat(i.srcInfo);
  const pathSt = finalStat(i.info);
  let changed = false;
  if (prev === 'absent') changed = true;
  else if (prev === 'link') {
    if (i.info.linkTarget !== src) {
      p.before.src = i.info.linkTarget;
      p.after.src = src;
      changed = true;
    }
  } else if (prev === 'hard') {
    if (src !== undefined && pathSt?.inode !== srcSt?.inode) {
      if (!i.force) throw new ModuleError('Cannot link, different hard link exists at destination');
      changed = true;
    }
  } else if (prev === 'file') {
    if (!i.force) throw new ModuleError('Cannot link, file exists at destination');
    changed = true;
  } else if (prev === 'directory') {
    if (pathSt?.inode === srcSt?.inode) return { ...p, result: { path, changed: false } };
    if (!i.force) throw new ModuleError('Cannot link: different hard link exists at destination');
    throw new ModuleError(`Error while replacing: ${path} is a directory`);
  }
  if (changed) {
    const ln = (to: string): string => `ln -T -- ${shq(src!)} ${to}`;
    p.steps.push({ kind: 'run', what: `linking ${path}`, command: prev === 'absent' ? ln(shq(path)) : replaceWith(path, ln, false) });
  }
  const st = changed ? srcSt : pathSt;
  const a = st ? applyAttrs(p, path, cur(st), i.attrs, i.facts.umask) : false;
  p.changed = changed || a;
  p.result.state = 'hard';
  return p;
}
