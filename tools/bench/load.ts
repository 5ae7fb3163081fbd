/**
 * The two ways load is offered. Closed loop: `concurrency` clients each start the next
 * transaction when the last one finished — its throughput is the system's maximum at that
 * concurrency. Open loop: transactions arrive at a fixed rate whatever happens to the earlier
 * ones (evenly spaced) — its latencies are what a client sees at that load.
 */
import { sleep } from '../chaos/sleep';

/** One unit of work; resolves when it reached its end. Throws if it did not. */
export type Unit = () => Promise<void>;

export interface LoadResult {
  /** Units finished inside the measured window. */
  completed: number;
  failed: number;
  /** Length of the measured window. */
  seconds: number;
  perSecond: number;
  /** Of every unit that finished (open loop: all of them; closed loop: inside the window). */
  latenciesMs: number[];
  /** The first few failures, for the report. */
  errors: string[];
}

const MAX_ERRORS = 5;

/**
 * The window opens once every client has finished one unit (steady state: no burst of first
 * starts inside it), and at least `warmupMs` after the start; it lasts `durationMs`. The
 * throughput is Little's law for a closed loop, concurrency / mean time of the units that ended
 * in the window: counting completions in a window only a few latencies long would round it to
 * whole rounds of the clients, which move almost in step.
 */
export async function closedLoop(concurrency: number, durationMs: number, warmupMs: number, unit: Unit): Promise<LoadResult> {
  const started = Date.now();
  let windowFrom = Infinity;
  let stopAt = Infinity;
  let finishedOnce = 0;
  const result = emptyResult(durationMs / 1000);
  const endedInWindow: number[] = [];
  const lane = async () => {
    let first = true;
    while (Date.now() < stopAt) {
      const t0 = Date.now();
      const ok = await attempt(unit, result);
      const t1 = Date.now();
      if (first && ++finishedOnce === concurrency) {
        windowFrom = Math.max(t1, started + warmupMs);
        stopAt = windowFrom + durationMs;
      }
      first = false;
      if (ok && t0 >= windowFrom && t1 <= stopAt) result.latenciesMs.push(t1 - t0);
      if (ok && t1 >= windowFrom && t1 <= stopAt) {
        result.completed++;
        endedInWindow.push(t1 - t0);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane)); // the last units drain before the next phase
  const meanMs = endedInWindow.reduce((sum, ms) => sum + ms, 0) / Math.max(1, endedInWindow.length);
  result.perSecond = endedInWindow.length ? (concurrency * 1000) / meanMs : 0;
  return result;
}

export async function openLoop(perSecond: number, durationMs: number, unit: Unit): Promise<LoadResult> {
  const count = Math.max(1, Math.round((perSecond * durationMs) / 1000));
  const started = Date.now();
  const result = emptyResult(durationMs / 1000);
  const running: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const dueAt = started + (i * 1000) / perSecond;
    if (dueAt > Date.now()) await sleep(dueAt - Date.now());
    running.push(
      (async () => {
        const t0 = Date.now();
        if (await attempt(unit, result)) {
          result.latenciesMs.push(Date.now() - t0);
          result.completed++;
        }
      })(),
    );
  }
  await Promise.all(running);
  result.seconds = (Date.now() - started) / 1000;
  result.perSecond = result.completed / result.seconds;
  return result;
}

function emptyResult(seconds: number): LoadResult {
  return { completed: 0, failed: 0, seconds, perSecond: 0, latenciesMs: [], errors: [] };
}

async function attempt(unit: Unit, result: LoadResult): Promise<boolean> {
  try {
    await unit();
    return true;
  } catch (err) {
    result.failed++;
    if (result.errors.length < MAX_ERRORS) result.errors.push((err as Error).message);
    return false;
  }
}
