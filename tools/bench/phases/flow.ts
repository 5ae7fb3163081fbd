/**
 * The flow itself, through the API: its closed-loop maximum, then at half that rate (open
 * loop) the latencies a client sees, the webhook's way into the workflow, each step's time, and
 * what a transaction costs (CPU, database statements, history events, memory).
 */
import ms, { type StringValue } from 'ms';
import type { TransactionView } from '../../../src/transaction/model';
import { workflowIdFor } from '../../../src/transaction/model';
import { SHORT_PENDING_MS } from '../../../sandbox/simulators/zuz/timing';
import { FLOW_ENV } from '../../chaos/service-env';
import type { EngineStep } from '../engine/shape';
import { isWebhookPath, shapeFromHistory } from '../engine/shape-from-history';
import { QueryCounter } from '../db-stats';
import { fetchHistories, summarizeHistories, webhookTimings } from '../histories';
import { codecCost, type CodecCost } from '../codec-cost';
import { openLoop } from '../load';
import { CpuMeter, memory } from '../process-stats';
import { mean, round, summarizeLatency, type LatencySummary } from '../summary-stats';
import type { BenchContext } from './context';
import { findMaximum, type RampResult } from './ramp';

export interface FlowResult {
  throughput: RampResult;
  /** The flow's shape, read from one of its histories (the engine workflow copies it). */
  shape: EngineStep[] | null;
  halfLoad: {
    offeredPerSecond: number;
    achievedPerSecond: number;
    completed: number;
    failed: number;
    errors: string[];
    endToEndMs: LatencySummary;
    webhookToProgressMs: LatencySummary;
    webhookToSignalMs: LatencySummary;
    webhooksBeforeWait: number;
    /** Webhook attempts the API did not answer 2xx in time (the simulator retried them). */
    webhookRetries: number;
    /** A second open loop at the same rate, each POST with `Prefer: wait`: how long until the till had the card's answer. */
    decision: { completed: number; failed: number; errors: string[]; postToDecisionMs: LatencySummary; answeredAfterTheWait: number };
  };
  /** Per step name, journal durations (for the per-step overhead). */
  stepDurationsMs: Map<string, number[]>;
  cost: {
    cpuSecondsPerTransaction: Record<string, number>;
    databaseStatementsPerTransaction: number | null;
    historyEventsPerTransaction: number | null;
    meanEventsByKind: Record<string, number>;
    peakRssMiB: Record<string, number>;
    /** Payload encryption's CPU over one measured history's payloads (null: encryption off). */
    codec: CodecCost | null;
  };
}

export async function measureFlow(ctx: BenchContext): Promise<FlowResult> {
  const { stack, sizes, workload } = ctx;
  const webhooks = () => {
    const deliveries = stack.services.zuz.deliveries();
    return { webhooks: deliveries.length, webhookRetries: deliveries.filter((delivery) => delivery.attempt > 1).length };
  };
  const throughput = await findMaximum(sizes, async () => void (await stack.flow.run(workload.transaction())), ctx.say, 'flow', webhooks);

  const rate = throughput.maxPerSecond / 2;
  ctx.say(`flow: open loop at ${round(rate, 2)}/s (half the maximum) for ${sizes.openLoopMs / 1000}s`);
  const views: TransactionView[] = [];
  const queries = await QueryCounter.open(stack.services.postgres.url, sizes.statsFlushMs);
  const queriesBefore = await queries.read();
  const deliveriesBefore = stack.services.zuz.deliveries().length;
  const benchStarted = process.cpuUsage();
  const cpu = new CpuMeter({ workers: () => stack.pids().workers, api: () => stack.pids().api, temporal: () => stack.pids().temporal });
  cpu.start();
  const load = await openLoop(rate, sizes.openLoopMs, async () => void views.push(await stack.flow.run(workload.transaction())));
  const used = cpu.stop();
  const bench = process.cpuUsage(benchStarted);
  const statements = QueryCounter.between(queriesBefore, await queries.read());
  await queries.close();

  const decision = await measureDecision(ctx, rate);

  const sample = views.slice(0, sizes.historySample);
  ctx.say(`flow: reading ${sample.length} histories`);
  const histories = await fetchHistories(
    stack.client,
    sample.map((view) => workflowIdFor(view.transactionId)),
  );
  const deliveries = stack.services.zuz.deliveries().slice(deliveriesBefore);
  const webhook = webhookTimings(histories, (i) => sample[i].zuz.paymentId, deliveries);
  const events = summarizeHistories(histories);
  const model = histories.find(isWebhookPath) ?? histories[0];
  const shape = model
    ? shapeFromHistory(model, Math.round(SHORT_PENDING_MS * ctx.args.timeScale), ms(FLOW_ENV.FLOW_WEBHOOK_GRACE_PERIOD as StringValue))
    : null;
  const codec = model ? await codecCost(stack.client.options.loadedDataConverter.payloadCodecs[0], model) : null;
  const n = Math.max(1, views.length);
  const pids = stack.pids();
  const peak = (list: number[]) => round(Math.max(0, ...list.map((pid) => memory(pid).peakRssMiB)));

  return {
    throughput,
    shape,
    halfLoad: {
      offeredPerSecond: round(rate, 2),
      achievedPerSecond: round(load.perSecond, 2),
      completed: load.completed,
      failed: load.failed,
      errors: load.errors,
      endToEndMs: summarizeLatency(load.latenciesMs),
      webhookToProgressMs: summarizeLatency(webhook.toProgressMs),
      webhookToSignalMs: summarizeLatency(webhook.toSignalMs),
      webhooksBeforeWait: webhook.beforeWait,
      webhookRetries: deliveries.filter((delivery) => delivery.attempt > 1).length,
      decision,
    },
    stepDurationsMs: stepDurations(views),
    cost: {
      cpuSecondsPerTransaction: {
        workers: round(used.workers / n, 5),
        api: round(used.api / n, 5),
        temporal: round(used.temporal / n, 5),
        benchProcessWithSimulators: round((bench.user + bench.system) / 1e6 / n, 5),
      },
      databaseStatementsPerTransaction: views.length ? round(statements / views.length, 2) : null,
      historyEventsPerTransaction: mean(events.eventsPerWorkflow),
      meanEventsByKind: events.meanByKind,
      peakRssMiB: { workerMax: peak(pids.workers), api: peak(pids.api), temporal: peak(pids.temporal) },
      codec,
    },
  };
}

/**
 * The till's one-request answer (`Prefer: wait`, update-with-start behind the API) at the same
 * rate, measured apart so the main run's figures stay those of the plain POST.
 */
async function measureDecision(ctx: BenchContext, rate: number): Promise<FlowResult['halfLoad']['decision']> {
  const { stack, sizes, workload } = ctx;
  ctx.say(`flow: open loop at ${round(rate, 2)}/s with Prefer: wait (POST -> decision) for ${sizes.openLoopMs / 1000}s`);
  const decisionMs: number[] = [];
  let answeredAfterTheWait = 0;
  const load = await openLoop(rate, sizes.openLoopMs, async () => {
    const run = await stack.flow.runDecidingFirst(workload.transaction());
    if (run.decidedInTime) decisionMs.push(run.decisionMs);
    else answeredAfterTheWait++;
  });
  return {
    completed: load.completed,
    failed: load.failed,
    errors: load.errors,
    postToDecisionMs: summarizeLatency(decisionMs),
    answeredAfterTheWait,
  };
}

function stepDurations(views: readonly TransactionView[]): Map<string, number[]> {
  const durations = new Map<string, number[]>();
  for (const view of views) {
    for (const step of view.steps) {
      if (!step.endedAt) continue;
      const list = durations.get(step.name) ?? [];
      list.push(Date.parse(step.endedAt) - Date.parse(step.startedAt));
      durations.set(step.name, list);
    }
  }
  return durations;
}
