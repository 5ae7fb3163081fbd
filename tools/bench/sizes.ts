/** How long and how big each phase is: the full run (about 12 minutes on 2 cores) and the quick one (seconds, for npm test). */

export interface Sizes {
  /** Closed-loop concurrency levels tried to find the maximum throughput. */
  closedLoopConcurrency: number[];
  /** Length of each closed-loop measurement window, and the least warm-up before it (see load.ts). */
  closedLoopMs: number;
  warmupMs: number;
  /** Length of the open-loop (half-load) latency measurement. */
  openLoopMs: number;
  /** Histories fetched for event counts and webhook timings (at most, from the open-loop run). */
  historySample: number;
  /** Waiting transactions at which the scale phase samples. */
  scaleLevels: number[];
  /** New transactions timed at each scale level. */
  scaleProbe: number;
  /** Customers the transactions are spread over (each has its own payment methods at PMS). */
  customers: number;
  /** How long a database-statistics reading waits for PostgreSQL to publish its counters (see db-stats.ts). */
  statsFlushMs: number;
}

export const FULL: Sizes = {
  closedLoopConcurrency: [8, 24, 64, 160],
  closedLoopMs: 10_000,
  warmupMs: 2_000,
  openLoopMs: 30_000,
  historySample: 400,
  scaleLevels: [0, 1000, 2500, 5000, 10_000], // --waiting 1500 keeps the shape at another top
  scaleProbe: 40,
  customers: 500,
  statsFlushMs: 11_000,
};

export const QUICK: Sizes = {
  closedLoopConcurrency: [4],
  closedLoopMs: 2_500,
  warmupMs: 500,
  openLoopMs: 2_000,
  historySample: 10,
  scaleLevels: [0, 10],
  scaleProbe: 2,
  customers: 5,
  // Too short for exact counts (the quick run measures nothing), long enough to read something.
  statsFlushMs: 1_500,
};

export function sizesFor(quick: boolean, waiting: number | undefined): Sizes {
  const base = quick ? QUICK : FULL;
  if (waiting === undefined) return base;
  // Keep the shape of the levels (fractions of the top one) for another top.
  const top = base.scaleLevels[base.scaleLevels.length - 1];
  const levels = [...new Set(base.scaleLevels.map((level) => Math.round((level / top) * waiting)))];
  return { ...base, scaleLevels: levels };
}
