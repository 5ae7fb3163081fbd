/**
 * The deployment levers, each measured the same way: the workers restarted with one setting
 * changed, then the flow's closed loop at its best concurrency. A control run with the defaults
 * (also after a restart) comes last — so every lever is compared like with like, and the
 * workers are left with the defaults.
 */
import path from 'node:path';
import { workflowIdFor } from '../../../src/transaction/model';
import { transactionKey } from '../../../src/merchants/model';
import { closedLoop, openLoop } from '../load';
import { CpuMeter } from '../process-stats';
import { bundleWithDatabaseStepsAsActivities } from '../levers/flow-shape';
import { round, summarizeLatency, type LatencySummary } from '../summary-stats';
import type { BenchContext } from './context';

export interface Lever {
  name: string;
  env: NodeJS.ProcessEnv;
  /** More environment, made when the lever is measured (a bundle to build, say). */
  prepare?: () => Promise<NodeJS.ProcessEnv>;
}

export interface LeverResult extends Lever {
  perSecond: number;
  failed: number;
  latencyMs: LatencySummary;
  /** Against the control run. */
  changePercent: number | null;
  /** Local-activity markers in one transaction's history run after the loop: shows which flow shape ran. */
  localActivitiesPerTransaction: number;
}

const NO_KEEP_ALIVE = path.resolve(__dirname, '..', 'levers', 'no-keep-alive.js');
const WORKFLOW_BUNDLE_PRELOAD = path.resolve(__dirname, '..', 'levers', 'workflow-bundle.js');

export const CONTROL: Lever = { name: 'control (defaults)', env: {} };

/** The shipped flow with every step an ordinary activity again (v7's shape): what the local activities bought. */
export const DATABASE_STEPS_AS_ACTIVITIES: Lever = {
  name: 'database steps as activities (flow v7 shape)',
  env: { NODE_OPTIONS: `--require ${WORKFLOW_BUNDLE_PRELOAD}` },
  prepare: async () => ({ BENCH_WORKFLOW_BUNDLE: await bundleWithDatabaseStepsAsActivities() }),
};

export const LEVERS: Lever[] = [
  // First, so the quick bench in `npm test` measures it too.
  DATABASE_STEPS_AS_ACTIVITIES,
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
    for (const { prepare, ...lever } of [...levers, CONTROL]) {
      await stack.services.restartWorkers({ ...lever.env, ...(await prepare?.()) });
      const run = await closedLoop(
        concurrency,
        sizes.closedLoopMs,
        sizes.warmupMs,
        async () => void (await stack.flow.run(workload.transaction())),
      );
      const localActivitiesPerTransaction = await localActivitiesOfOneTransaction(ctx);
      runs.push({
        ...lever,
        perSecond: round(run.perSecond, 2),
        failed: run.failed,
        latencyMs: summarizeLatency(run.latenciesMs),
        localActivitiesPerTransaction,
      });
      ctx.say(`lever ${lever.name}: ${round(run.perSecond, 2)}/s (p50 ${summarizeLatency(run.latenciesMs).p50} ms, ${run.failed} failed)`);
    }
  } catch (err) {
    await stack.services.restartWorkers({}); // whatever happened, the scale phase runs on the defaults
    throw err;
  }
  const control = runs[runs.length - 1].perSecond;
  return runs.map((run) => ({ ...run, changePercent: control ? round((run.perSecond / control - 1) * 100) : null }));
}

async function localActivitiesOfOneTransaction({ stack, workload }: BenchContext): Promise<number> {
  const view = await stack.flow.run(workload.transaction());
  const history = await stack.client.workflow.getHandle(workflowIdFor(transactionKey(view.merchantId, view.transactionId))).fetchHistory();
  return (history.events ?? []).filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
}

/** One shape's turn at half load: the till's answer and the whole transaction, and the CPU they cost. */
export interface ShapeAtHalfLoad {
  shape: string;
  round: number;
  completed: number;
  failed: number;
  decisionMs: LatencySummary;
  endToEndMs: LatencySummary;
  cpuMsPerTransaction: { workers: number; temporal: number };
}

/**
 * The flow-shape lever at the flow's half load, side by side with the shipped flow: each shape's
 * workers restarted, then transactions at `rate` as a till sends them (`Prefer: wait`, then to the
 * end), in turns A B A B so the machine's drift falls on both. Throughput at the best concurrency
 * (the levers table) says little about the till; this says what it waits.
 */
export async function measureShapesAtHalfLoad(ctx: BenchContext, rate: number, rounds: number): Promise<ShapeAtHalfLoad[]> {
  const { stack, sizes, workload } = ctx;
  const shapes = [DATABASE_STEPS_AS_ACTIVITIES, { ...CONTROL, name: 'local activities (flow v10, shipped)' }];
  const env = new Map<Lever, NodeJS.ProcessEnv>();
  const results: ShapeAtHalfLoad[] = [];
  try {
    for (let turn = 1; turn <= rounds; turn++) {
      for (const shape of shapes) {
        if (!env.has(shape)) env.set(shape, { ...shape.env, ...(await shape.prepare?.()) });
        await stack.services.restartWorkers(env.get(shape)!);
        await stack.flow.run(workload.transaction()); // warm: the first transaction of fresh workers is not the shape's cost
        const decisionMs: number[] = [];
        const cpu = new CpuMeter({ workers: () => stack.pids().workers, temporal: () => stack.pids().temporal });
        cpu.start();
        const load = await openLoop(rate, sizes.openLoopMs, async () => {
          decisionMs.push((await stack.flow.runDecidingFirst(workload.transaction())).decisionMs);
        });
        const used = cpu.stop();
        const n = Math.max(1, load.completed);
        results.push({
          shape: shape.name,
          round: turn,
          completed: load.completed,
          failed: load.failed,
          decisionMs: summarizeLatency(decisionMs),
          endToEndMs: summarizeLatency(load.latenciesMs),
          cpuMsPerTransaction: { workers: round((used.workers * 1000) / n, 1), temporal: round((used.temporal * 1000) / n, 1) },
        });
        ctx.say(
          `shape ${shape.name}, round ${turn}: decision p50 ${summarizeLatency(decisionMs).p50} ms, end p50 ${summarizeLatency(load.latenciesMs).p50} ms`,
        );
      }
    }
  } finally {
    await stack.services.restartWorkers({}); // the phases after this run on the shipped flow
  }
  return results;
}
