/**
 * `npm run simulate -- --seeds 20000`: the deterministic simulation. Seeds are split over worker
 * processes (each with its own time-skipping server: the server's clock is shared, so one
 * environment per process); each seed is one transaction in its own simulated world. Prints the
 * rate, the flow's branches the seeds reached, and every failing seed with the command that
 * replays it alone. `--seed N` runs one seed and prints its trace.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { z } from 'zod';
import { argsOrUsage, integer, parseArgs, runToolMain } from '../cli-args';
import { CoverageTally } from './coverage';
import { ResultsFile, ResultsFileError, simulationCodeHash } from './results-file';
import { simulateBatch, type SeedSummary } from './simulate';

const USAGE = `usage: npm run simulate -- [--seeds N] [--from S] [--seed S] [--processes P] [--concurrency C] [--results FILE] [--json]
  --seeds N        how many seeds (one transaction each), from --from (default 1); default 200
  --seed S         one seed alone, with its trace (the reproduction of a failure)
  --processes P    worker processes, each with its own time-skipping server (default: twice the CPUs)
  --concurrency C  transactions in flight at once per process (default 16: faster than one at a time)
  --results FILE   append each seed's verdict to FILE; seeds FILE already holds (judged by the same code) are
                   not run again but counted: a long run stopped midway resumes where it was`;

const MAX_PROCESSES = 64;
/**
 * Each process spends much of its time waiting on its own test server's answers, so one per CPU
 * leaves CPU idle: on 2 cores, 4 processes ran 200 seeds in 0.66x the time of 2, and 6 no faster than 4.
 */
const DEFAULT_PROCESSES = Math.min(MAX_PROCESSES, 2 * availableParallelism());

const argsSchema = z
  .object({
    seeds: integer('seeds').min(1, '--seeds must be >= 1').default(200),
    from: integer('from').min(0, '--from must be >= 0').default(1),
    seed: integer('seed').min(0, '--seed must be >= 0').optional(),
    processes: integer('processes')
      .min(1, '--processes must be >= 1')
      .max(MAX_PROCESSES, `--processes must be <= ${MAX_PROCESSES}`)
      .default(DEFAULT_PROCESSES),
    concurrency: integer('concurrency').min(1, '--concurrency must be >= 1').max(200, '--concurrency must be <= 200').default(16),
    results: z.string().min(1, '--results needs a file name').optional(),
    child: z.string().optional(),
    json: z.boolean().default(false),
  })
  .strict();

type Args = z.infer<typeof argsSchema>;

const isChild = process.argv.includes('--child');

async function main(): Promise<number> {
  const args = argsOrUsage((argv) => parseArgs(argv, argsSchema, { booleanFlags: new Set(['json']), usage: USAGE }), process.argv.slice(2));
  if (!args) return 2;
  // The flow's own error lines (e.g. Zuz refused a void) are what the seeds provoke on purpose: the verdicts report what matters.
  Runtime.install({
    logger: new DefaultLogger('ERROR', (entry) => entry.meta?.sdkComponent !== 'workflow' && console.error(entry.message, entry.meta)),
  });
  if (args.child !== undefined) return runChild(args.child.split(',').map(Number), args.concurrency);
  if (args.seed !== undefined) return runOne(args.seed);
  return runMany(args);
}

/** A child: its seeds, one IPC message per seed. */
async function runChild(seeds: number[], concurrency: number): Promise<number> {
  // The parent is gone (stopped, or killed): nobody would read the results, and the server must not outlive it.
  process.on('disconnect', () => process.exit(1));
  await simulateBatch(seeds, { concurrency, onSeed: (summary) => process.send?.({ summary }) });
  return 0;
}

async function runOne(seed: number): Promise<number> {
  const [summary] = await simulateBatch([seed], { concurrency: 1 });
  console.log(
    `seed ${seed}: ${summary.kind}, ${summary.weather} -> ${summary.outcome} (expected ${summary.expected ?? 'either side of a deadline'})`,
  );
  for (const line of summary.trace) console.log(`  ${line}`);
  for (const violation of summary.violations) console.log(`  VIOLATION ${violation.invariant}: ${violation.why}`);
  return summary.violations.length > 0 ? 1 : 0;
}

async function runMany(args: Args): Promise<number> {
  const requested = Array.from({ length: args.seeds }, (_, i) => args.from + i);
  const coverage = new CoverageTally();
  const failures: SeedSummary[] = [];
  const tally = (summary: SeedSummary) => {
    coverage.add(summary.branches, summary.outcome);
    if (summary.violations.length > 0) failures.push(summary);
  };
  const results = openResults(args.results);
  if (results === null) return 2;
  const earlier = requested.filter((seed) => results?.earlier.has(seed));
  for (const seed of earlier) tally(results!.earlier.get(seed)!);
  const seeds = requested.filter((seed) => !results?.earlier.has(seed));
  if (earlier.length > 0)
    console.log(`${earlier.length} of the ${requested.length} seeds were judged earlier (${args.results}); running ${seeds.length}`);
  const processes = Math.max(1, Math.min(args.processes, seeds.length));
  let done = 0;
  const startedAt = Date.now();
  const progress = setInterval(() => {
    const rate = done / ((Date.now() - startedAt) / 1000);
    process.stderr.write(`  ${done}/${seeds.length} seeds, ${rate.toFixed(2)}/s, ${failures.length} failing\n`);
  }, 10_000);
  const stalled: number[][] = [];
  try {
    await runInChunks(seeds, processes, args.concurrency, {
      seed: (summary) => {
        done++;
        tally(summary);
        results?.append(summary);
      },
      stalled: (unfinished) => stalled.push(unfinished),
    });
  } finally {
    clearInterval(progress);
  }
  const seconds = (Date.now() - startedAt) / 1000;
  const reach = coverage.summary();
  if (args.json) {
    console.log(
      JSON.stringify(
        {
          seeds: done + earlier.length,
          earlier: earlier.length,
          seconds,
          perSecond: done / seconds,
          coverage: coverage.toJSON(),
          reach,
          failures,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(
      `${done} seeds in ${seconds.toFixed(1)} s: ${(done / seconds).toFixed(2)} schedules/s (${processes} processes x ${args.concurrency})`,
    );
    if (earlier.length > 0)
      console.log(
        `with the ${earlier.length} judged earlier: ${done + earlier.length} seeds, ${args.from} to ${args.from + args.seeds - 1}`,
      );
    console.log(`flow branches reached (step journal): ${reach.reached}/${reach.of}`);
    if (reach.unreached.length) console.log(`  not reached: ${reach.unreached.join(', ')}`);
    if (reach.unlisted.length) console.log(`  reached but not in the list: ${reach.unlisted.join(', ')}`);
    console.log('outcomes:');
    for (const [outcome, count] of [...coverage.outcomes].sort((a, b) => b[1] - a[1]))
      console.log(`  ${String(count).padStart(7)}  ${outcome}`);
    for (const failure of failures.sort((a, b) => a.seed - b.seed)) {
      console.log(
        `FAIL seed ${failure.seed} (${failure.kind}, ${failure.weather}): ${failure.outcome}, expected ${failure.expected ?? 'either'}`,
      );
      for (const violation of failure.violations) console.log(`  ${violation.invariant}: ${violation.why}`);
      console.log(`  reproduce: npm run simulate -- --seed ${failure.seed}`);
    }
    for (const unfinished of stalled)
      console.log(
        `a process stopped making progress: its ${unfinished.length} seeds in flight ran again in a fresh process (${unfinished.join(', ')})`,
      );
    console.log(failures.length === 0 ? 'no invariant violated' : `${failures.length} failing seed(s)`);
  }
  return failures.length > 0 ? 1 : 0;
}

/**
 * A process runs at most this many seeds, then a fresh one takes the next: one process's server
 * and embedded record grow with every seed, and after a few thousand one stopped making progress.
 */
const SEEDS_PER_PROCESS = 300;
/** A process that reports no seed for this long (wall clock) is stopped and its unfinished seeds run again. */
const STALL_MS = 5 * 60 * 1000;

/**
 * The seeds in chunks over `processes` processes at a time. A pair of seeds (2k, 2k+1: one id
 * under two merchants, plan.ts) stays in one chunk, so the two run side by side. A process that
 * stalls is killed and its unfinished seeds run once more in a fresh one; stalling again is a
 * failure of the run (it exits non-zero), never a silent skip.
 */
async function runInChunks(
  seeds: number[],
  processes: number,
  concurrency: number,
  on: { seed: (summary: SeedSummary) => void; stalled: (unfinished: number[]) => void },
): Promise<void> {
  const queue: Array<{ seeds: number[]; retry: boolean }> = [];
  for (let i = 0; i < seeds.length;) {
    let end = Math.min(seeds.length, i + SEEDS_PER_PROCESS);
    while (end < seeds.length && Math.floor(seeds[end] / 2) === Math.floor(seeds[end - 1] / 2)) end++;
    queue.push({ seeds: seeds.slice(i, end), retry: false });
    i = end;
  }
  const runChunk = (chunk: { seeds: number[]; retry: boolean }) =>
    new Promise<void>((resolve, reject) => {
      const unfinished = new Set(chunk.seeds);
      const child = fork(__filename, ['--child', chunk.seeds.join(','), '--concurrency', String(concurrency)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let watchdog: NodeJS.Timeout;
      let stalledOut = false;
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          stalledOut = true;
          child.kill('SIGKILL');
        }, STALL_MS);
      };
      arm();
      child.on('message', ({ summary }: { summary: SeedSummary }) => {
        unfinished.delete(summary.seed);
        arm();
        on.seed(summary);
      });
      child.on('exit', (code) => {
        clearTimeout(watchdog);
        if (code === 0 && unfinished.size === 0) return resolve();
        if (stalledOut && !chunk.retry) {
          on.stalled([...unfinished]);
          queue.push({ seeds: [...unfinished], retry: true });
          return resolve();
        }
        reject(
          new Error(
            `a simulation process ${stalledOut ? 'stalled twice' : `exited ${code}`} with seeds unfinished: ${[...unfinished].join(', ')}`,
          ),
        );
      });
    });
  // A stalled chunk's seeds are queued again after the slots may have emptied the queue: go round until it stays empty.
  while (queue.length > 0)
    await Promise.all(
      Array.from({ length: processes }, async () => {
        for (let chunk = queue.shift(); chunk; chunk = queue.shift()) await runChunk(chunk);
      }),
    );
}

/** The --results file, none when not asked for, or null after saying why it cannot be used. */
function openResults(file: string | undefined): ResultsFile | undefined | null {
  if (file === undefined) return undefined;
  try {
    return ResultsFile.open(file, simulationCodeHash());
  } catch (err) {
    if (!(err instanceof ResultsFileError)) throw err;
    console.error(err.message);
    return null;
  }
}

if (require.main === module || isChild) {
  runToolMain(main);
}
