/**
 * The deployment levers, each measured the same way: the workers restarted with one setting
 * changed, then the flow's closed loop at its best concurrency. A control run with the defaults
 * (also after a restart) comes last — so every lever is compared like with like, and the
 * workers are left with the defaults.
 */
import path from 'node:path';
import { closedLoop } from '../load';
import { round, summarizeLatency, type LatencySummary } from '../summary-stats';
import type { BenchContext } from './context';

export interface Lever {
  name: string;
  env: NodeJS.ProcessEnv;
}

export interface LeverResult extends Lever {
  perSecond: number;
  failed: number;
  latencyMs: LatencySummary;
  /** Against the control run. */
  changePercent: number | null;
}

const NO_KEEP_ALIVE = path.resolve(__dirname, '..', 'levers', 'no-keep-alive.js');

export const CONTROL: Lever = { name: 'control (defaults)', env: {} };

export const LEVERS: Lever[] = [
  { name: 'HTTP keep-alive off (PMS, Zuz)', env: { NODE_OPTIONS: `--require ${NO_KEEP_ALIVE}` } },
  { name: 'DATABASE_POOL_MAX=2', env: { DATABASE_POOL_MAX: '2' } },
  { name: 'pollers 2+2 (workflow+activity)', env: { WORKER_WORKFLOW_TASK_POLLERS: '2', WORKER_ACTIVITY_TASK_POLLERS: '2' } },
  {
    name: 'slots 100 wf / 200 act, pollers 20+20',
    env: {
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '200',
      WORKER_WORKFLOW_TASK_POLLERS: '20',
      WORKER_ACTIVITY_TASK_POLLERS: '20',
    },
  },
  { name: 'WORKER_MAX_CACHED_WORKFLOWS=100', env: { WORKER_MAX_CACHED_WORKFLOWS: '100' } },
];

export async function measureLevers(ctx: BenchContext, concurrency: number, levers: readonly Lever[] = LEVERS): Promise<LeverResult[]> {
  const { stack, sizes, workload } = ctx;
  const runs: Array<Omit<LeverResult, 'changePercent'>> = [];
  try {
    for (const lever of [...levers, CONTROL]) {
      await stack.services.restartWorkers(lever.env);
      const run = await closedLoop(
        concurrency,
        sizes.closedLoopMs,
        sizes.warmupMs,
        async () => void (await stack.flow.run(workload.transaction())),
      );
      runs.push({ ...lever, perSecond: round(run.perSecond, 2), failed: run.failed, latencyMs: summarizeLatency(run.latenciesMs) });
      ctx.say(`lever ${lever.name}: ${round(run.perSecond, 2)}/s (p50 ${summarizeLatency(run.latenciesMs).p50} ms, ${run.failed} failed)`);
    }
  } catch (err) {
    await stack.services.restartWorkers({}); // whatever happened, the scale phase runs on the defaults
    throw err;
  }
  const control = runs[runs.length - 1].perSecond;
  return runs.map((run) => ({ ...run, changePercent: control ? round((run.perSecond / control - 1) * 100) : null }));
}
