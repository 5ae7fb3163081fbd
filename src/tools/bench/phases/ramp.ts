/**
 * The closed-loop maximum: the same work at rising concurrency; the best throughput is the
 * maximum. It stops rising once the machine is saturated, so the ramp stops at the first level
 * that gains less than 5 %.
 */
import { closedLoop, type Unit } from '../load';
import type { Sizes } from '../sizes';
import { round, summarizeLatency, type LatencySummary } from '../summary-stats';

export interface RampPoint {
  concurrency: number;
  perSecond: number;
  completed: number;
  failed: number;
  latencyMs: LatencySummary;
  errors: string[];
}

export interface RampResult {
  maxPerSecond: number;
  bestConcurrency: number;
  points: RampPoint[];
}

const MIN_GAIN = 1.05;

export async function findMaximum(sizes: Sizes, unit: Unit, say: (message: string) => void, label: string): Promise<RampResult> {
  const points: RampPoint[] = [];
  for (const concurrency of sizes.closedLoopConcurrency) {
    const result = await closedLoop(concurrency, sizes.closedLoopMs, sizes.warmupMs, unit);
    const point: RampPoint = {
      concurrency,
      perSecond: round(result.perSecond, 2),
      completed: result.completed,
      failed: result.failed,
      latencyMs: summarizeLatency(result.latenciesMs),
      errors: result.errors,
    };
    points.push(point);
    say(`${label}: concurrency ${concurrency} -> ${point.perSecond}/s (p50 ${point.latencyMs.p50} ms, ${result.failed} failed)`);
    const previous = points[points.length - 2];
    if (previous && point.perSecond < previous.perSecond * MIN_GAIN) break;
  }
  const best = points.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  return { maxPerSecond: best.perSecond, bestConcurrency: best.concurrency, points };
}
