/** Where the lab's files live: shipped scripts (found at run time), per-lab state, the image cache. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let rootCache: string | undefined;

/**
 * The package root (the directory holding package.json), found by walking up from this file.
 * Works both from src/lab (vitest) and dist/src/lab (tsc output): tsc does not copy .sh files.
 */
export function packageRoot(): string {
  if (rootCache) return rootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return (rootCache = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error('tsplay lab: package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A script shipped in src/lab/ (bash, not compiled). */
export function labScript(file: 'lab.sh' | 'build-image.sh' | 'lab-init.sh' | 'features.sh'): string {
  return join(packageRoot(), 'src', 'lab', file);
}

/** Root of all labs' state: /tmp/tsplay-lab (env TSPLAY_LAB_DIR). */
export function labsRoot(): string {
  return resolve(process.env.TSPLAY_LAB_DIR || '/tmp/tsplay-lab');
}

/** State directory of one lab. */
export function labDir(name: string): string {
  return join(labsRoot(), name);
}

/** Image cache: /var/cache/tsplay/lab (env TSPLAY_LAB_CACHE). */
export function imageCacheDir(): string {
  return resolve(process.env.TSPLAY_LAB_CACHE || '/var/cache/tsplay/lab');
}

/** File marking a directory as a lab's state dir (only such directories are ever removed). */
export const LAB_MARKER = '.tsplay-lab';
