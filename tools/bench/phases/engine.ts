/**
 * The engine's ceiling: the no-op workflow of the flow's shape (and the variants that show what
 * local activities or one activity fewer would buy), started and awaited directly through
 * Temporal at rising concurrency, on its own worker processes.
 */
import { describeShape } from '../engine/shape-from-history';
import { ENGINE_VARIANTS, ENGINE_WORKFLOW, type EngineInput, type EngineStep, type EngineVariant } from '../engine/shape';
import { fetchHistories, summarizeHistories } from '../histories';
import { CpuMeter } from '../process-stats';
import { mean, round } from '../summary-stats';
import type { BenchContext } from './context';
import { findMaximum, type RampResult } from './ramp';

export interface EngineResult {
  variant: EngineVariant;
  shape: string;
  throughput: RampResult;
  historyEventsPerWorkflow: number | null;
  meanEventsByKind: Record<string, number>;
  /** CPU seconds per workflow over the whole ramp (drain included). */
  cpuSecondsPerWorkflow: { engineWorkers: number; temporal: number };
}

/**
 * `flowShape`: the measured flow's shape, read from one of its histories. `concurrency`: only
 * that level (the variants run at the same-shape maximum's concurrency); otherwise the full ramp.
 */
export async function measureEngine(
  ctx: BenchContext,
  variant: EngineVariant,
  flowShape: EngineStep[],
  tag: string,
  concurrency?: number,
): Promise<EngineResult> {
  const { stack } = ctx;
  const sizes = concurrency ? { ...ctx.sizes, closedLoopConcurrency: [concurrency] } : ctx.sizes;
  const input: EngineInput = { steps: ENGINE_VARIANTS[variant](flowShape) };
  const finished: string[] = [];
  let next = 0;
  const unit = async () => {
    const workflowId = `bench-engine-${tag}-${variant}-${next++}`;
    await stack.client.workflow.execute(ENGINE_WORKFLOW, { taskQueue: stack.engineTaskQueue, workflowId, args: [input] });
    finished.push(workflowId);
  };
  const cpu = new CpuMeter({ engineWorkers: () => stack.pids().engineWorkers, temporal: () => stack.pids().temporal });
  cpu.start();
  const throughput = await findMaximum(sizes, unit, ctx.say, `engine ${variant}`);
  const used = cpu.stop();
  const histories = summarizeHistories(await fetchHistories(stack.client, finished.slice(-Math.min(50, sizes.historySample))));
  const per = (seconds: number) => round(seconds / Math.max(1, finished.length), 5);
  return {
    variant,
    shape: describeShape(input.steps),
    throughput,
    historyEventsPerWorkflow: mean(histories.eventsPerWorkflow),
    meanEventsByKind: histories.meanByKind,
    cpuSecondsPerWorkflow: { engineWorkers: per(used.engineWorkers), temporal: per(used.temporal) },
  };
}
