/**
 * Applies the fault schedule to the stack, in two lanes (process restarts; Zuz switches), each
 * fault when it is due, and records what was done and when: the report lists it, so a failure
 * can be read against it.
 */
import type { ZuzFaults } from '../../simulators/zuz';
import { describeFault, laneOf, type FaultAction, type FaultLane, type ScheduledFault } from './fault-schedule';
import type { Progress } from './progress';
import { sleep } from './readiness';
import type { ChaosStack } from './stack';

export interface InjectedFault {
  /** Position in the schedule (1-based), as printed at the start. */
  number: number;
  type: FaultAction['type'];
  description: string;
  /** ISO time it began, and milliseconds since the run started. */
  at: string;
  atMs: number;
  /** How long applying it took (for a restart: until the process was ready again). */
  tookMs: number;
  /** Transactions started when it began. */
  afterStarted: number;
  detail?: Record<string, unknown>;
  error?: string;
}

interface Context {
  stack: ChaosStack;
  progress: Progress;
  runStartedAt: number;
  injected: InjectedFault[];
}

/** Appends to `injected` as it goes, so that what was done is known even if a fault cannot be applied. */
export async function injectFaults(
  schedule: readonly ScheduledFault[],
  stack: ChaosStack,
  progress: Progress,
  runStartedAt: number,
  injected: InjectedFault[],
): Promise<void> {
  const context: Context = { stack, progress, runStartedAt, injected };
  const numbered = schedule.map((fault, i) => ({ ...fault, number: i + 1 }));
  const lane = (name: FaultLane) => numbered.filter((fault) => laneOf(fault.action) === name);
  await Promise.all([runProcessLane(lane('processes'), context), runZuzLane(lane('zuz'), context)]);
}

type Numbered = ScheduledFault & { number: number };

async function runProcessLane(faults: Numbered[], context: Context): Promise<void> {
  const { stack, progress } = context;
  for (const fault of faults) {
    if (!(await progress.until(() => progress.started >= fault.afterStarted))) return;
    progress.faultBegun('processes');
    const record = await applyRecorded(fault, context, async () => {
      const action = fault.action;
      if (action.type === 'kill-worker') return stack.killWorker(action.worker, action.downMs);
      if (action.type === 'restart-temporal') return stack.restartTemporal(action.signal, action.downMs);
      if (action.type === 'restart-api') return stack.restartApi(action.signal, action.downMs);
      throw new Error(`not a process fault: ${action.type}`);
    });
    // A part of the stack that cannot be brought back makes the rest of the run meaningless.
    if (record.error) throw new Error(`fault #${record.number} could not be applied: ${record.error}`);
  }
}

/**
 * Zuz's faults are one object: a burst restates the current webhook mode, and a window change
 * clears whatever is left of a burst's counters (they are normally used up within milliseconds).
 */
async function runZuzLane(faults: Numbered[], context: Context): Promise<void> {
  const { stack, progress } = context;
  let current: ZuzFaults = {};
  let window = { generation: 0, startedAt: 0, minHoldMs: 0 };
  const windowEnds: Array<Promise<unknown>> = [];
  for (const fault of faults) {
    if (!(await progress.until(() => progress.started >= fault.afterStarted))) break;
    progress.faultBegun('zuz');
    const action = fault.action;
    if (action.type === 'zuz-burst') {
      await applyRecorded(fault, context, async () => stack.zuz.setFaults({ ...current, [action.fault]: action.count }));
    } else if (action.type === 'zuz-webhooks' && action.mode !== 'normal') {
      window = { generation: window.generation + 1, startedAt: Date.now(), minHoldMs: action.minHoldMs ?? 0 };
      current = { webhooks: action.mode, ...(action.delayMs !== undefined ? { webhookDelayMs: action.delayMs } : {}) };
      const faults = current;
      await applyRecorded(fault, context, async () => stack.zuz.setFaults(faults));
    } else if (action.type === 'zuz-webhooks') {
      // The end of a window waits out its minimum in the background; a newer window cancels it.
      const ending = window;
      windowEnds.push(
        sleep(Math.max(0, ending.startedAt + ending.minHoldMs - Date.now())).then(() => {
          if (window.generation !== ending.generation) return;
          current = {};
          return applyRecorded(fault, context, async () => stack.zuz.setFaults({}));
        }),
      );
    }
  }
  await Promise.all(windowEnds);
}

async function applyRecorded(fault: Numbered, context: Context, apply: () => Promise<unknown>): Promise<InjectedFault> {
  const begun = Date.now();
  const record: InjectedFault = {
    number: fault.number,
    type: fault.action.type,
    description: describeFault(fault.action),
    at: new Date(begun).toISOString(),
    atMs: begun - context.runStartedAt,
    tookMs: 0,
    afterStarted: context.progress.started,
  };
  try {
    const detail = await apply();
    if (detail && typeof detail === 'object') record.detail = detail as Record<string, unknown>;
  } catch (err) {
    record.error = (err as Error).message;
  }
  record.tookMs = Date.now() - begun;
  context.injected.push(record);
  console.log(`[chaos] +${(record.atMs / 1000).toFixed(1)}s fault #${record.number}: ${record.description}${record.error ? ` FAILED: ${record.error}` : ''} (${record.tookMs} ms)`);
  return record;
}
