import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { BenchContext, oneLine } from './BenchContext.js';
import { REPO_ROOT } from './benchProcesses.js';
import type { BenchMachine, BenchResults } from './benchTypes.js';
import { formatMarkdown, formatTable } from './formatTable.js';
import { argValue, onlyNames } from './benchArgs.js';
import { rawEcho, suiteChild } from './servers.js';
import { exampleSuiteEcho, memoryHubGet } from './cases/transport.js';
import { exampleSuiteUnderLoad, memoryHubGetUnderLoad } from './cases/latencyUnderLoad.js';
import { durableWrites } from './cases/durableWrites.js';
import { search } from './cases/search.js';
import { generation } from './cases/generation.js';
import { startup } from './cases/startup.js';
import { migration } from './cases/migration.js';
import { loraTraining } from './cases/loraTraining.js';

/**
 * `npm run bench [-- --quick] [-- --only <substring>] [-- --update-readme]`
 * Runs the benchmark cases one after another, writes bench/results.json and prints the table.
 * Every figure is a percentile over many requests or a ratio against a baseline measured in the
 * same run. A case whose suite cannot start prints a "skipped: reason" row instead of failing.
 */
const CASES: Array<{ id: string; run: (ctx: BenchContext) => Promise<void>; thenStopShared?: boolean }> = [
  { id: 'transport-example', run: exampleSuiteEcho },
  { id: 'latency-example', run: exampleSuiteUnderLoad },
  { id: 'transport-memoryhub', run: memoryHubGet },
  { id: 'latency-memoryhub', run: memoryHubGetUnderLoad },
  // The shared raw echo / ExampleSuite / MemoryHub are stopped after this one, so the later cases
  // (which start their own processes) have the machine to themselves.
  { id: 'durable-writes', run: durableWrites, thenStopShared: true },
  { id: 'search', run: search },
  { id: 'generation', run: generation },
  { id: 'startup', run: startup },
  { id: 'migration', run: migration },
  { id: 'lora', run: loraTraining },
];

function machine(loadAtStart: number): BenchMachine {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: `${osType()} ${release()}`,
    date: new Date().toISOString(),
    // Other work on the host skews every figure; the 1-minute load average says how much.
    load_average_1m: { start: Number(loadAtStart.toFixed(2)), end: Number(loadavg()[0]!.toFixed(2)) },
  };
}

/** The full figures behind the README's table, kept in git beside it (bench/results.json is scratch). */
const README_RESULTS = 'docs/benchmark-results.json';

/**
 * Replaces (or appends) the README's "Benchmarks" section, which is the last one, and writes the
 * run's full figures to README_RESULTS, which the section links.
 */
function updateReadme(results: BenchResults): void {
  writeFileSync(join(REPO_ROOT, README_RESULTS), JSON.stringify(results, null, 2) + '\n');
  const file = join(REPO_ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const section = [
    '## Benchmarks',
    '',
    `Measured with \`${results.command}\` on ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}, ` +
      `${results.machine.os}, ${results.machine.date} (1-minute load average ${results.machine.load_average_1m.start} at the start, ` +
      `${results.machine.load_average_1m.end} at the end: the host was shared with other work). Each suite ran as its own child process (\`agent-suites serve\`) against ` +
      'the same load generator (`scripts/bench/loadGenerator.ts`: DEALER sockets, a fixed number of requests in flight or a ' +
      'paced open-loop sender); every figure is a percentile over many requests or a ratio against a baseline measured in the ' +
      `same run. Ratios are value ÷ baseline (for latencies, lower is better). Full figures of this run: [${README_RESULTS}](${README_RESULTS}).`,
    '',
    'Run `npm run bench` (every case; the `search 1M` case alone loads and indexes a million memories, tens of minutes on ' +
      'this host) or `npm run bench -- --quick` (shorter runs, 10k memories, under a ' +
      'minute); `--only <case id>[,<case id>…]` (or the flag repeated) picks cases (transport-example, latency-example, transport-memoryhub, latency-memoryhub, ' +
      'durable-writes, search, generation, startup, migration, lora) and `--update-readme` rewrites this section and its full figures. ' +
      '"server CPU per request" is the suite process\'s CPU time (from /proc) divided by the requests it answered, which ' +
      'stays comparable when other work shares the host; throughput and latency figures do not.',
    '',
    formatMarkdown(results.cases),
    '',
  ].join('\n');
  const start = text.search(/^## Benchmarks\s*$/m);
  let next = -1;
  if (start >= 0) {
    const rest = text.slice(start + 3);
    const m = /^## /m.exec(rest);
    next = m ? start + 3 + m.index : -1;
  }
  const updated = start < 0
    ? `${text.trimEnd()}\n\n${section}`
    : `${text.slice(0, start)}${section}${next >= 0 ? `\n${text.slice(next)}` : ''}`;
  writeFileSync(file, updated);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  let onlyList: string[];
  try {
    onlyList = onlyNames(args, CASES.map((c) => c.id));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const only = onlyList.length ? onlyList.join(',') : undefined;
  const out = argValue(args, '--out') ?? join(REPO_ROOT, 'bench/results.json');
  const ctx = new BenchContext(quick);
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  process.env.NODE_LLAMA_CPP_SKIP_DOWNLOAD ??= 'true';
  // Suite processes run the dist/ bundle, as `npm start` does: bring it up to date with the sources first.
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/buildNative.mjs'), '--if-stale'], { stdio: 'inherit' });
  const selected = CASES.filter((c) => !onlyList.length || onlyList.some((o) => c.id.includes(o)));
  const interrupt = () => {
    process.stderr.write('interrupted: stopping bench servers\n');
    void ctx.closeAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    // Start the shared servers side by side before the first case (saves several seconds).
    const ids = selected.map((c) => c.id).join(' ');
    const warm: Array<Promise<unknown>> = [];
    if (/transport|latency/.test(ids)) warm.push(rawEcho(ctx));
    if (/-example/.test(ids)) warm.push(suiteChild(ctx, 'ExampleSuite'));
    if (/memoryhub|durable/.test(ids)) warm.push(suiteChild(ctx, 'MemoryHub'));
    await Promise.allSettled(warm);
    for (const c of selected) {
      process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${c.id}\n`);
      try {
        await c.run(ctx);
      } catch (err) {
        ctx.skip(c.id, 'all', `case failed: ${oneLine((err as Error).stack ?? String(err))}`);
      }
      if (c.thenStopShared) await ctx.closeAll();
    }
  } finally {
    await ctx.closeAll();
  }
  const sizes = process.env.BENCH_SEARCH_SIZES ? `BENCH_SEARCH_SIZES=${process.env.BENCH_SEARCH_SIZES} ` : '';
  const command = `${sizes}npm run bench${quick || only ? ' --' : ''}${quick ? ' --quick' : ''}${only ? ` --only ${only}` : ''}`;
  const results: BenchResults = { machine: machine(loadAtStart), command, quick, cases: ctx.rows };
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\n${formatTable(ctx.rows)}\n\n${ctx.rows.length} rows in ${((Date.now() - started) / 1000).toFixed(1)} s → ${out}\n`);
  if (args.includes('--update-readme')) {
    updateReadme(results);
    process.stdout.write('README.md "Benchmarks" section updated\n');
  }
}

await main();
// Native handles (zeromq contexts, llama) can keep the loop alive after everything is closed.
process.exit(0);
