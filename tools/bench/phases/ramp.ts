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
  /** What the caller counts per level besides (e.g. the flow's webhook retries). */
  extra?: Record<string, number>;
}

export interface RampResult {
  maxPerSecond: number;
  bestConcurrency: number;
  points: RampPoint[];
}

const MIN_GAIN = 1.05;

/** `extra`: called before and after each level; the report keeps the difference of its counts. */
export async function findMaximum(
  sizes: Sizes,
  unit: Unit,
  say: (message: string) => void,
  label: string,
  extra?: () => Record<string, number>,
): Promise<RampResult> {
  const points: RampPoint[] = [];
  for (const concurrency of sizes.closedLoopConcurrency) {
    const before = extra?.();
    const result = await closedLoop(concurrency, sizes.closedLoopMs, sizes.warmupMs, unit);
    const after = extra?.();
    const point: RampPoint = {
      concurrency,
      perSecond: round(result.perSecond, 2),
      completed: result.completed,
      failed: result.failed,
      latencyMs: summarizeLatency(result.latenciesMs),
      errors: result.errors,
      extra:
        after && before ? Object.fromEntries(Object.entries(after).map(([name, count]) => [name, count - (before[name] ?? 0)])) : undefined,
    };
    points.push(point);
    say(
      `${label}: concurrency ${concurrency} -> ${point.perSecond}/s (p50 ${point.latencyMs.p50} ms, ${result.failed} failed${point.extra ? `, ${JSON.stringify(point.extra)}` : ''})`,
    );
    const previous = points[points.length - 2];
    if (previous && point.perSecond < previous.perSecond * MIN_GAIN) break;
  }
  const best = points.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  return { maxPerSecond: best.perSecond, bestConcurrency: best.concurrency, points };
}
