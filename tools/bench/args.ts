/** The command line of `npm run bench`, validated with zod (the chaos suite's approach): a wrong flag stops with a clear message. */
import { z } from 'zod';
import { integer, parseArgs } from '../cli-args';
import { ENGINES } from '../chaos/args';

const argsSchema = z
  .object({
    /** Tiny sizes, seconds per phase: proves the harness works (npm test), measures nothing. */
    quick: z.boolean().default(false),
    /** The Temporal it runs on: the CLI's dev server, or the Temporal server on PostgreSQL (`npm run cluster`'s). */
    engine: z.enum(ENGINES, { error: `--engine must be ${ENGINES.join(' or ')}` }).default('dev'),
    report: z.string().min(1, '--report must be a file path').default('bench-report.json'),
    workers: integer('workers').min(1, '--workers must be >= 1').max(8, '--workers must be <= 8').default(2),
    /** Added to every answer of Zuz and PMS (their `latencyMs` fault). */
    providerLatencyMs: integer('provider-latency-ms')
      .min(0, '--provider-latency-ms must be >= 0')
      .max(5000, '--provider-latency-ms must be <= 5000')
      .default(0),
    /**
     * The simulators' delays times this: 0.02 makes a pending authorization resolve (and its
     * webhook leave) 100 ms after it was asked for. Zuz's webhook timeout stays the real 5 s.
     */
    timeScale: z.coerce
      .number({ error: '--time-scale must be a number' })
      .positive('--time-scale must be > 0')
      .max(1, '--time-scale must be <= 1')
      .default(0.02),
    /**
     * Where the dev server keeps history: `memory` (its default; nothing restarts it during a bench)
     * or `file` (SQLite on disk, as the chaos suite runs it to survive restarts: every write is synced).
     */
    temporalHistory: z.enum(['memory', 'file'], { error: '--temporal-history must be memory or file' }).default('memory'),
    /** How many manual-capture transactions wait at once at the end of the scale phase. */
    waiting: integer('waiting').min(0, '--waiting must be >= 0').max(50_000, '--waiting must be <= 50000').optional(),
    /** Only the scale phase (the fill of 10,000 waiting transactions is the longest part of a run). */
    scaleOnly: z.boolean().default(false),
    /** Skip the lever runs (each restarts the workers). */
    skipLevers: z.boolean().default(false),
    keepLogs: z.boolean().default(false),
  })
  .strict();

export type BenchArgs = z.infer<typeof argsSchema>;

export const USAGE = `Usage: npm run bench -- [--quick] [--engine dev|cluster] [--report bench-report.json] [--workers 2] [--provider-latency-ms 0]
                        [--time-scale 0.02] [--temporal-history memory|file] [--waiting 10000] [--scale-only] [--skip-levers] [--keep-logs]`;

const BOOLEAN_FLAGS = new Set(['quick', 'scaleOnly', 'skipLevers', 'keepLogs']);

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  return parseArgs(argv, argsSchema, { booleanFlags: BOOLEAN_FLAGS, usage: USAGE });
}
