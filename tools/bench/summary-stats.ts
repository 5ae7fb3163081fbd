/** Latency and growth figures as the report shows them. */
import { percentile } from '../chaos/stats';

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function summarizeLatency(values: readonly number[]): LatencySummary {
  const at = (p: number) => (values.length ? round(percentile(values, p)!) : null);
  return { count: values.length, p50: at(50), p95: at(95), p99: at(99), max: values.length ? round(Math.max(...values)) : null };
}

export function mean(values: readonly number[]): number | null {
  return values.length ? round(values.reduce((sum, v) => sum + v, 0) / values.length) : null;
}

export function ratio(numerator: number | null | undefined, denominator: number | null | undefined): number | null {
  return numerator == null || !denominator ? null : Math.round((numerator / denominator) * 1000) / 1000;
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
