/** The bench's JSON report: every figure of the run, the headline ratios and the goals they are held against. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchArgs } from './args';
import type { EngineVariant } from './engine/shape';
import type { BaselineResult } from './phases/baseline';
import type { EngineResult } from './phases/engine';
import type { FlowResult } from './phases/flow';
import type { LeverResult, ShapeAtHalfLoad } from './phases/levers';
import type { ScaleResult } from './phases/scale';
import type { Sizes } from './sizes';
import type { StepOverhead } from './step-overhead';
import { ratio } from './summary-stats';
import type { MachineInfo } from './versions';

export interface Goal {
  goal: string;
  target: string;
  measured: number | null;
  met: boolean | null;
}

export interface BenchReport {
  ok: boolean;
  startedAt: string;
  durationSeconds: number;
  command: string;
  args: BenchArgs;
  sizes: Sizes;
  machine: MachineInfo;
  setup: {
    /** The Temporal it ran on, as the engine names itself ("Temporal 1.29.1 server on PostgreSQL (cluster)"). */
    temporal: string;
    workers: number;
    database: string;
    temporalHistory: 'memory' | 'file';
    timeScale: number;
    pendingAuthorizationMs: number;
    providerLatencyMs: number;
    flowEnv: Record<string, string>;
    tuningEnv: Record<string, string>;
  };
  headline: {
    flowThroughputPerSecond: number | null;
    engineCeilingPerSecond: number | null;
    flowToEngineThroughput: number | null;
    flowP50Ms: number | null;
    baselineP50Ms: number | null;
    flowToBaselineP50: number | null;
    webhookToProgressP99Ms: number | null;
    workerRssGrowthPercent: number | null;
    goals: Goal[];
  };
  flow: (Omit<FlowResult, 'stepDurationsMs' | 'shape'> & { shape: string | null; steps: StepOverhead[] }) | null;
  engine: Partial<Record<EngineVariant, EngineResult>>;
  baseline: Omit<BaselineResult, 'stepDurationsMs'> | null;
  scale: ScaleResult | null;
  levers: LeverResult[];
  /** The database steps as activities (v7 shape) against local activities (v8), at half load, in turns. */
  shapesAtHalfLoad: ShapeAtHalfLoad[];
  /** What the engine variants say a change of the flow's shape would buy (throughput, against same-shape). */
  flowShapeLevers: Array<{ variant: EngineVariant; perSecond: number; changePercent: number | null; historyEvents: number | null }>;
  errors: string[];
}

/** The goals of issue #17, measured side by side in one run. */
export function headline(report: Pick<BenchReport, 'flow' | 'engine' | 'baseline' | 'scale'>): BenchReport['headline'] {
  const flowMax = report.flow?.throughput.maxPerSecond ?? null;
  const engineMax = report.engine['same-shape']?.throughput.maxPerSecond ?? null;
  const flowP50 = report.flow?.halfLoad.endToEndMs.p50 ?? null;
  const baselineP50 = report.baseline?.halfLoad.endToEndMs.p50 ?? null;
  const webhookP99 = report.flow?.halfLoad.webhookToProgressMs.p99 ?? null;
  const decisionToBaseline = ratio(report.flow?.halfLoad.decision.postToDecisionMs.p50, report.baseline?.halfLoad.decisionMs.p50);
  const rssGrowth = report.scale?.workerRssGrowthPercent ?? null;
  const flowToEngine = ratio(flowMax, engineMax);
  // Every step must be within the goal, so the worst step's p50 is what is measured.
  const overheads = (report.flow?.steps ?? []).map((step) => step.overheadP50Ms).filter((ms): ms is number => ms !== null);
  const worstStepOverhead = overheads.length > 0 ? Math.max(...overheads) : null;
  const goal = (name: string, target: string, measured: number | null, met: (value: number) => boolean): Goal => ({
    goal: name,
    target,
    measured,
    met: measured === null ? null : met(measured),
  });
  return {
    flowThroughputPerSecond: flowMax,
    engineCeilingPerSecond: engineMax,
    flowToEngineThroughput: flowToEngine,
    flowP50Ms: flowP50,
    baselineP50Ms: baselineP50,
    flowToBaselineP50: ratio(flowP50, baselineP50),
    webhookToProgressP99Ms: webhookP99,
    workerRssGrowthPercent: rssGrowth,
    goals: [
      goal('engine overhead per step, p50, worst step (ms)', '<= 10', worstStepOverhead, (v) => v <= 10),
      goal('flow throughput / engine ceiling', '>= 0.9', flowToEngine, (v) => v >= 0.9),
      goal('webhook -> workflow progress p99 at half load (ms)', '< 50', webhookP99, (v) => v < 50),
      goal('POST -> decision p50 / baseline start -> decision p50', '<= 3', decisionToBaseline, (v) => v <= 3),
      goal('worker RSS growth, 0 -> top waiting level (%)', 'within 20', rssGrowth, (v) => Math.abs(v) <= 20),
    ],
  };
}

export function flowShapeLevers(engine: BenchReport['engine']): BenchReport['flowShapeLevers'] {
  const base = engine['same-shape']?.throughput.maxPerSecond;
  return Object.values(engine)
    .filter((result): result is EngineResult => result !== undefined)
    .map((result) => ({
      variant: result.variant,
      perSecond: result.throughput.maxPerSecond,
      changePercent: base ? Math.round((result.throughput.maxPerSecond / base - 1) * 1000) / 10 : null,
      historyEvents: result.historyEventsPerWorkflow,
    }));
}

export function writeReport(report: BenchReport, file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
