/** The command line of `npm run chaos`, validated with zod: a wrong flag stops the run with a clear message. */
import { z } from 'zod';
import { integer, parseArgs } from '../cli-args';

/** The Temporal the stack runs on: the CLI's dev server (SQLite), or the Temporal server on PostgreSQL (`npm run cluster`'s). */
export const ENGINES = ['dev', 'cluster'] as const;
export type EngineKind = (typeof ENGINES)[number];

const argsSchema = z
  .object({
    engine: z.enum(ENGINES, { error: `--engine must be one of: ${ENGINES.join(', ')}` }).default('dev'),
    transactions: integer('transactions').min(1, '--transactions must be >= 1').default(500),
    seed: integer('seed')
      .min(0, '--seed must be >= 0')
      .max(2 ** 32 - 1, '--seed must fit in 32 bits')
      .optional(),
    workers: integer('workers').min(1, '--workers must be >= 1').max(16, '--workers must be <= 16').default(2),
    concurrency: integer('concurrency').min(1, '--concurrency must be >= 1').max(500, '--concurrency must be <= 500').default(20),
    report: z.string().min(1, '--report must be a file path').default('chaos-report.json'),
    /** The whole run stops after this long and reports what is missing. */
    timeoutMinutes: z.coerce.number({ error: '--timeout-minutes must be a number' }).positive('--timeout-minutes must be > 0').default(20),
    /** How long one transaction may take from its POST to its terminal state (the manual-expiring kind gets the expiry on top). */
    deadlineSeconds: integer('deadline-seconds').positive('--deadline-seconds must be > 0').default(180),
    /**
     * The simulators' delays (pending resolutions, webhook timeout and retry backoff, idempotency
     * window) times this. 0.1: pending resolves in 0.5 s, a webhook attempt times out after 0.5 s,
     * retries start 0.1 s apart, idempotency keys replay for 2.4 h. Much smaller scales make every
     * webhook attempt time out at the simulator's 200 ms floor on a loaded machine (a retry storm
     * the real provider's 5 s timeout would not cause), and shrink the idempotency window below a
     * step's retry span (a retry after it legitimately performs again).
     */
    timeScale: z.coerce
      .number({ error: '--time-scale must be a number' })
      .positive('--time-scale must be > 0')
      .max(1, '--time-scale must be <= 1')
      .default(0.1),
    /**
     * Opt-in: one Zuz outage of this many seconds (0: none). Zuz loses the answers of the requests
     * in flight, then refuses everything. Longer than a step's bounded retries (~2 min) it tests
     * what the flow does when they run out; raise --deadline-seconds to match (e.g. 600).
     */
    zuzOutageSeconds: integer('zuz-outage-seconds').min(0, '--zuz-outage-seconds must be >= 0').default(0),
    /**
     * Opt-in: for a few seconds, every Pending operation Zuz creates resolves this many seconds
     * late (0: never) — past the flow's deadlines when longer than 120 s. The flow gives up; the
     * late approval reaches the late-event store, and the run's closing reconciliation releases
     * it. Raise --deadline-seconds to match (e.g. 600).
     */
    lateAnswerSeconds: integer('late-answer-seconds').min(0, '--late-answer-seconds must be >= 0').default(0),
    /**
     * Restarts of the Temporal server (1 by default). More of them walk more of the history shapes a
     * server killed mid-write leaves (what histories-replay checks); the extra ones are drawn after
     * the rest, so a seed's schedule keeps its other faults.
     */
    temporalRestarts: integer('temporal-restarts')
      .min(1, '--temporal-restarts must be >= 1')
      .max(20, '--temporal-restarts must be <= 20')
      .default(1),
    /** Worker kills (by default one per 80 transactions, 2 to 8); a higher count adds kills drawn after the rest of the schedule. */
    workerKills: integer('worker-kills').min(0, '--worker-kills must be >= 0').max(50, '--worker-kills must be <= 50').optional(),
    /** Keep the child processes' logs even when every invariant holds. */
    keepLogs: z.boolean().default(false),
  })
  .strict();

export type ChaosArgs = z.infer<typeof argsSchema> & { seed?: number };

export const USAGE = `Usage: npm run chaos -- [--engine dev|cluster] [--transactions 500] [--seed N] [--workers 2] [--concurrency 20]
                        [--report chaos-report.json] [--timeout-minutes 20] [--deadline-seconds 180]
                        [--time-scale 0.1] [--zuz-outage-seconds 0] [--late-answer-seconds 0] [--temporal-restarts 1] [--worker-kills N] [--keep-logs]`;

const BOOLEAN_FLAGS = new Set(['keepLogs']);

export function parseChaosArgs(argv: readonly string[]): ChaosArgs {
  return parseArgs(argv, argsSchema, { booleanFlags: BOOLEAN_FLAGS, usage: USAGE });
}
