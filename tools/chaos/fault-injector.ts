/**
 * Applies the fault schedule to the stack, each fault when it is due, and records what was done
 * and when (with how much work was in flight): the report lists it, so a failure can be read
 * against it. Restarts of different parts may overlap (the stack serializes those of one part);
 * Zuz's switches go in order.
 */
import type { ZuzFaults } from '../../sandbox/simulators/zuz';
import { describeFault, laneOf, type FaultAction, type ScheduledFault } from './fault-schedule';
import type { Progress } from './progress';
import { sleep } from './sleep';
import type { ChaosStack } from './stack';
import type { MerchantEndpoint } from './receivers';

export interface InjectedFault {
  /** Position in the schedule (1-based), as printed at the start. */
  number: number;
  type: FaultAction['type'];
  description: string;
  /** ISO time it began, and milliseconds since the drive started. */
  at: string;
  atMs: number;
  /** How long applying it took (for a restart: until the process was ready again). */
  tookMs: number;
  /** Transactions finished, and in flight, when it began. */
  afterFinished: number;
  inFlight: number;
  detail?: Record<string, unknown>;
  error?: string;
}

interface Context {
  stack: ChaosStack;
  endpoints: readonly MerchantEndpoint[];
  progress: Progress;
  driveStartedAt: number;
  injected: InjectedFault[];
}

type Numbered = ScheduledFault & { number: number };

/** How long the first phase of an outage (answers lost) lasts. */
const ANSWERS_LOST_FOR_MS = 1000;

/** Appends to `injected` as it goes, so that what was done is known even if a fault cannot be applied. */
export async function injectFaults(
  schedule: readonly ScheduledFault[],
  stack: ChaosStack,
  progress: Progress,
  driveStartedAt: number,
  injected: InjectedFault[],
  /** The merchants' endpoints, in the order the schedule numbers them. */
  endpoints: readonly MerchantEndpoint[] = [],
): Promise<void> {
  const context: Context = { stack, endpoints, progress, driveStartedAt, injected };
  const numbered = schedule.map((fault, i) => ({ ...fault, number: i + 1 }));
  await Promise.all([
    runProcessFaults(
      numbered.filter((fault) => laneOf(fault.action) === 'processes'),
      context,
    ),
    runZuzFaults(
      numbered.filter((fault) => laneOf(fault.action) === 'zuz'),
      context,
    ),
    ...endpoints.map((_, index) =>
      runEndpointFaults(
        numbered.filter((fault) => fault.action.type === 'merchant-endpoint' && fault.action.endpoint === index),
        context,
      ),
    ),
  ]);
}

/** One endpoint's windows, in order; like Zuz's webhook windows, each held at least its `minHoldMs`. */
async function runEndpointFaults(faults: Numbered[], context: Context): Promise<void> {
  const { endpoints, progress } = context;
  let windowHeldUntil = 0;
  for (const fault of faults) {
    if (!(await progress.until(() => progress.finished >= fault.afterFinished))) break;
    const action = fault.action;
    if (action.type !== 'merchant-endpoint') continue;
    await sleep(Math.max(0, windowHeldUntil - Date.now()));
    windowHeldUntil = Date.now() + (action.minHoldMs ?? 0);
    await applyRecorded(fault, context, (begin) => {
      begin();
      endpoints[action.endpoint].receiver.setFault({
        mode: action.mode,
        ...(action.hangMs !== undefined ? { hangMs: action.hangMs } : {}),
      });
    });
  }
}

async function runProcessFaults(faults: Numbered[], context: Context): Promise<void> {
  const { stack, progress } = context;
  const applied: Array<Promise<void>> = [];
  for (const fault of faults) {
    if (!(await progress.until(() => progress.finished >= fault.afterFinished))) break;
    const action = fault.action;
    applied.push(
      applyRecorded(fault, context, (begin) => {
        if (action.type === 'kill-worker') return stack.killWorker(action.worker, action.downMs, begin);
        if (action.type === 'restart-temporal') return stack.restartTemporal(action.signal, action.downMs, begin);
        if (action.type === 'restart-api') return stack.restartApi(action.signal, action.downMs, begin);
        throw new Error(`not a process fault: ${action.type}`);
      }).then((record) => {
        // A part of the stack that cannot be brought back makes the rest of the run meaningless.
        if (record.error) throw new Error(`fault #${record.number} could not be applied: ${record.error}`);
      }),
    );
  }
  await Promise.all(applied);
}

/**
 * Zuz's faults are one object: a burst restates the current webhook mode, and a window change
 * clears whatever is left of a burst's counters (they are normally used up within milliseconds).
 * Finishes come in bursts (after a restart), so a webhook window is held for at least its
 * `minHoldMs` before the next change: no window is over before anything passed through it.
 */
async function runZuzFaults(faults: Numbered[], context: Context): Promise<void> {
  const { stack, progress } = context;
  let current: ZuzFaults = {};
  let windowHeldUntil = 0;
  for (const fault of faults) {
    if (!(await progress.until(() => progress.finished >= fault.afterFinished))) break;
    const action = fault.action;
    if (action.type === 'zuz-burst') {
      await applyRecorded(fault, context, (begin) => {
        begin();
        stack.zuz.setFaults({ ...current, [action.fault]: action.count });
      });
      continue;
    }
    if (action.type === 'zuz-late-answers') {
      await applyRecorded(fault, context, async (begin) => {
        begin();
        stack.zuz.setFaults({ ...current, lateAnswerMs: action.lateByMs });
        await sleep(action.windowMs);
        stack.zuz.setFaults(current);
        // The window in which the answers of new transactions come too late (their deadline passes first).
        return { until: new Date(Date.now() + action.lateByMs).toISOString() };
      });
      continue;
    }
    if (action.type === 'zuz-outage') {
      await applyRecorded(fault, context, async (begin) => {
        begin();
        // The requests in flight when Zuz goes down are performed, but nobody hears the answer...
        stack.zuz.setFaults({ ...current, failAfterNext: action.answersLost });
        await sleep(ANSWERS_LOST_FOR_MS);
        // ...then it refuses everything until it is back.
        stack.zuz.setFaults({ ...current, failBeforeNext: Number.MAX_SAFE_INTEGER });
        await sleep(action.durationMs);
        stack.zuz.setFaults(current);
        return { until: new Date().toISOString() };
      });
      continue;
    }
    if (action.type !== 'zuz-webhooks') continue;
    await sleep(Math.max(0, windowHeldUntil - Date.now()));
    current =
      action.mode === 'normal'
        ? {}
        : { webhooks: action.mode, ...(action.delayMs !== undefined ? { webhookDelayMs: action.delayMs } : {}) };
    windowHeldUntil = Date.now() + (action.minHoldMs ?? 0);
    const faults = current;
    await applyRecorded(fault, context, (begin) => {
      begin();
      stack.zuz.setFaults(faults);
    });
  }
}

/** Applies one fault; `apply` calls `begin` at the moment the fault actually strikes. */
async function applyRecorded(fault: Numbered, context: Context, apply: (begin: () => void) => unknown): Promise<InjectedFault> {
  let begun = Date.now();
  const record: InjectedFault = {
    number: fault.number,
    type: fault.action.type,
    description: describeFault(fault.action),
    at: '',
    atMs: 0,
    tookMs: 0,
    afterFinished: context.progress.finished,
    inFlight: context.progress.inFlight,
  };
  const begin = () => {
    begun = Date.now();
    record.afterFinished = context.progress.finished;
    record.inFlight = context.progress.inFlight;
  };
  try {
    const detail = await apply(begin);
    if (detail && typeof detail === 'object') record.detail = detail as Record<string, unknown>;
  } catch (err) {
    record.error = (err as Error).message;
  }
  record.at = new Date(begun).toISOString();
  record.atMs = begun - context.driveStartedAt;
  record.tookMs = Date.now() - begun;
  context.injected.push(record);
  console.log(
    `[chaos] +${(record.atMs / 1000).toFixed(1)}s fault #${record.number}: ${record.description}${record.error ? ` FAILED: ${record.error}` : ''} (${record.tookMs} ms)`,
  );
  return record;
}
