/**
 * Preload for bench/scale.mjs (node --import ./bench/mem-probe.mjs ...): samples the process's memory every
 * 50 ms and, at exit, appends one JSON line to $TSPLAY_MEM_PROBE: the sample with the highest RSS (rss, V8
 * heap used/total, external, array buffers, per heap space) and maxRSS — what a run's peak memory is made of.
 */
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.TSPLAY_MEM_PROBE;
if (out) {
  let peak = { rss: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    if (m.rss > peak.rss) {
      const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, Math.round(s.space_size / 1024)]));
      peak = { ...m, spacesKiB: spaces };
    }
  };
  const t = setInterval(sample, 50);
  t.unref();
  process.on('exit', () => {
    sample();
    const mib = (x) => Math.round((x / 1048576) * 10) / 10;
    const r = {
      rss: mib(peak.rss),
      heapTotal: mib(peak.heapTotal),
      heapUsed: mib(peak.heapUsed),
      external: mib(peak.external),
      arrayBuffers: mib(peak.arrayBuffers),
    };
    appendFileSync(
      out,
      JSON.stringify({ argv: process.argv.slice(2, 4), peakMiB: r, maxRSSMiB: mib(process.resourceUsage().maxRSS * 1024), spacesKiB: peak.spacesKiB }) + '\n',
    );
  });
}
