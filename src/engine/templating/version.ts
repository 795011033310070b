/** Version comparison for `is version(...)`: loose (distutils LooseVersion), strict, semver. */

function looseParts(v: string): (number | string)[] {
  return v
    .split(/(\d+|[a-z]+|\.)/i)
    .filter((p) => p && p !== '.')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function cmpParts(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : 1;
    if (typeof x === 'number') return 1; // Python 3 would raise; numbers sort after strings in practice
    if (typeof y === 'number') return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function semver(v: string): { main: number[]; pre: (number | string)[] } {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) throw new Error(`invalid semantic version '${v}'`);
  return { main: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [] };
}

export function compareVersions(a: string, b: string, type: string): number {
  if (type === 'semver' || type === 'semantic') {
    const x = semver(a);
    const y = semver(b);
    const c = cmpParts(x.main, y.main);
    if (c !== 0) return c;
    if (!x.pre.length || !y.pre.length) return x.pre.length ? -1 : y.pre.length ? 1 : 0;
    return cmpParts(x.pre, y.pre);
  }
  if (type === 'strict') {
    const re = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/;
    if (!re.test(a) || !re.test(b)) throw new Error(`invalid version number '${re.test(a) ? b : a}'`);
  }
  return cmpParts(looseParts(a), looseParts(b));
}
