/**
 * Node/V8 flags a suite process starts with: the launcher puts them on each suite's command line,
 * and the benchmarks spawn suites with them so they measure what `npm start` runs.
 *
 * MemoryHub: each young-generation semi-space capped at 2 MB. A hub request leaves only garbage
 * that dies within the request, but after a burst (64 in flight) V8 grows the young generation to
 * 16 MB, and each scavenge then sweeps the ArrayBuffers of thousands of zeromq frames at once:
 * 0.4–3 ms pauses every ~180 ms, which is what the p99 at half load was made of. With the cap the
 * scavenges take ~0.1–0.3 ms. On the 2-core bench host, `latency under load: MemoryHub get`
 * (three interleaved rounds per run) gave a p99/raw-echo ratio of median 1.17 over five runs
 * with the cap and 1.51 over five without; throughput at 64 in flight was 45–50k req/s both ways.
 */
const FLAGS: Readonly<Record<string, readonly string[]>> = {
  MemoryHub: ['--max-semi-space-size=2'],
};

export function suiteNodeFlags(suite: string): string[] {
  return [...(FLAGS[suite] ?? [])];
}
