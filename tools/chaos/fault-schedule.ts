/**
 * The fault schedule: which fault hits the stack when, drawn from the seed. A fault is due once
 * a given number of transactions have finished (not at a wall-clock time): between 5% and 90% of
 * the run, so it lands in the middle of work whatever the machine's speed, and the same seed
 * replays the same schedule.
 */
import type { ReceiverMode } from '../../sandbox/receiver/receiver';
import type { WebhookMode } from '../../sandbox/simulators/zuz';
import { SeededRandom } from './random';

export type KillSignal = 'SIGTERM' | 'SIGKILL';
export type ZuzCounterFault = 'failBeforeNext' | 'failAfterNext' | 'resetAfterNext';

export type FaultAction =
  /** SIGKILL one worker process in the middle of its work, restart it after `downMs`. */
  | { type: 'kill-worker'; worker: number; downMs: number }
  /** Stop the Temporal server (the dev server, or the cluster's server process), restart it on the same port and history. */
  | { type: 'restart-temporal'; signal: KillSignal; downMs: number }
  | { type: 'restart-api'; signal: KillSignal; downMs: number }
  /** The next `count` Zuz requests (any transaction's) fail that way. */
  | { type: 'zuz-burst'; fault: ZuzCounterFault; count: number }
  /** Zuz goes down: the answers of the next `answersLost` requests are lost (their work done), then every request fails for `durationMs`. */
  | { type: 'zuz-outage'; answersLost: number; durationMs: number }
  /** For `windowMs`, every Pending operation Zuz creates resolves `lateByMs` late (after the flow's deadlines). */
  | { type: 'zuz-late-answers'; lateByMs: number; windowMs: number }
  /**
   * From now on Zuz's webhooks behave this way; 'normal' ends the window, but not before it has
   * lasted `minHoldMs` (starts come in bursts, so a window between two start counts could be empty).
   */
  | { type: 'zuz-webhooks'; mode: WebhookMode; delayMs?: number; minHoldMs?: number }
  /**
   * From now on merchant `endpoint`'s receiver (tools/chaos/receivers.ts) answers 500, holds each
   * request `hangMs`, or drops the connection; 'normal' ends the window, not before `minHoldMs`.
   */
  | { type: 'merchant-endpoint'; endpoint: number; mode: ReceiverMode; hangMs?: number; minHoldMs?: number };

/**
 * Process faults (restarts take seconds; those of different parts may overlap) and Zuz switches
 * (instant, in order) are applied separately, so that neither holds up the other.
 */
export type FaultLane = 'processes' | 'zuz' | 'endpoints';

export interface ScheduledFault {
  /** Due once this many transactions have finished. */
  afterFinished: number;
  action: FaultAction;
}

export function laneOf(action: FaultAction): FaultLane {
  if (action.type === 'merchant-endpoint') return 'endpoints';
  return action.type === 'zuz-burst' || action.type === 'zuz-webhooks' || action.type === 'zuz-outage' || action.type === 'zuz-late-answers'
    ? 'zuz'
    : 'processes';
}

const WEBHOOK_FAULT_MODES: readonly WebhookMode[] = ['duplicate', 'drop', 'delay', 'reorder', 'before-response', 'none'];
const COUNTER_FAULTS: readonly ZuzCounterFault[] = ['failBeforeNext', 'failAfterNext', 'resetAfterNext'];
const ENDPOINT_FAULT_MODES: readonly ReceiverMode[] = ['fail', 'hang', 'drop'];

/** `endpoints`: how many merchant endpoints the run registers (each gets a window of every endpoint fault). */
export function planFaults(
  seed: number,
  transactions: number,
  workers: number,
  zuzOutageMs = 0,
  lateAnswerMs = 0,
  endpoints = 0,
  temporalRestarts = 1,
  workerKillsWanted?: number,
): ScheduledFault[] {
  const random = SeededRandom.stream(seed, 'faults');
  const n = transactions;
  // A trigger between two fractions of the run, never before the first transaction has finished.
  const between = (from: number, to: number) =>
    Math.max(1, random.int(Math.ceil(from * n), Math.max(Math.ceil(from * n), Math.floor(to * n))));
  const faults: ScheduledFault[] = [];
  const killWorker = (): FaultAction => ({ type: 'kill-worker', worker: random.int(0, workers - 1), downMs: random.int(500, 3000) });
  const restartTemporal = (): FaultAction => ({
    type: 'restart-temporal',
    signal: random.pick(['SIGTERM', 'SIGKILL'] as const),
    downMs: random.int(1000, 5000),
  });

  const workerKills = clamp(Math.round(n / 80), 2, 8);
  for (let i = 0; i < workerKills; i++) {
    faults.push({ afterFinished: between(0.1, 0.85), action: killWorker() });
  }
  faults.push({ afterFinished: between(0.3, 0.6), action: restartTemporal() });
  faults.push({
    afterFinished: between(0.2, 0.8),
    action: { type: 'restart-api', signal: random.pick(['SIGTERM', 'SIGKILL'] as const), downMs: random.int(300, 2000) },
  });

  const bursts = clamp(Math.round(n / 40), 3, 15);
  for (let i = 0; i < bursts; i++) {
    faults.push({
      afterFinished: between(0.05, 0.9),
      action: { type: 'zuz-burst', fault: random.pick(COUNTER_FAULTS), count: random.int(1, 4) },
    });
  }

  // Every webhook fault gets one window, in a seeded order, each followed by normal delivery.
  const modes = random.shuffle(WEBHOOK_FAULT_MODES);
  const slot = (0.85 * n) / modes.length;
  modes.forEach((mode, i) => {
    const start = Math.max(1, Math.round(0.05 * n + i * slot + random.next() * 0.2 * slot));
    const end = Math.max(start + 1, Math.round(start + (0.4 + random.next() * 0.4) * slot));
    const delayMs = mode === 'delay' || mode === 'reorder' ? random.int(300, 3000) : undefined;
    faults.push({
      afterFinished: start,
      action: { type: 'zuz-webhooks', mode, ...(delayMs !== undefined ? { delayMs } : {}), minHoldMs: random.int(2000, 6000) },
    });
    faults.push({ afterFinished: Math.min(end, n), action: { type: 'zuz-webhooks', mode: 'normal' } });
  });

  // Drawn last, so that the opt-in outage leaves the rest of the seed's schedule as it was.
  if (zuzOutageMs > 0) {
    faults.push({
      afterFinished: between(0.3, 0.5),
      action: { type: 'zuz-outage', answersLost: random.int(5, 15), durationMs: zuzOutageMs },
    });
  }

  if (lateAnswerMs > 0) {
    faults.push({ afterFinished: between(0.2, 0.4), action: { type: 'zuz-late-answers', lateByMs: lateAnswerMs, windowMs: 15_000 } });
  }

  for (let i = 1; i < temporalRestarts; i++) {
    faults.push({ afterFinished: between(0.1, 0.85), action: restartTemporal() });
  }

  for (let i = workerKills; i < (workerKillsWanted ?? 0); i++) {
    faults.push({ afterFinished: between(0.05, 0.9), action: killWorker() });
  }

  // The merchants' endpoints: a stream of their own, so the rest of the seed's schedule stays as it was before them.
  faults.push(...planEndpointFaults(SeededRandom.stream(seed, 'merchant-endpoints'), n, endpoints));

  // Stable: faults due at the same point keep the order they were drawn in.
  return faults
    .map((fault, order) => ({ fault, order }))
    .sort((a, b) => a.fault.afterFinished - b.fault.afterFinished || a.order - b.order)
    .map(({ fault }) => fault);
}

/**
 * Each endpoint gets one window of each fault, in a seeded order, each followed by normal
 * answers: 500s, holds of 1-6 s (the run's attempts are cut at 3 s, so some are cut and some are
 * only slow), dropped connections.
 */
function planEndpointFaults(random: SeededRandom, n: number, endpoints: number): ScheduledFault[] {
  const faults: ScheduledFault[] = [];
  for (let endpoint = 0; endpoint < endpoints; endpoint++) {
    const modes = random.shuffle(ENDPOINT_FAULT_MODES);
    const slot = (0.85 * n) / modes.length;
    modes.forEach((mode, i) => {
      const start = Math.max(1, Math.round(0.05 * n + i * slot + random.next() * 0.2 * slot));
      const end = Math.max(start + 1, Math.round(start + (0.4 + random.next() * 0.4) * slot));
      const hangMs = mode === 'hang' ? random.int(1000, 6000) : undefined;
      faults.push({
        afterFinished: start,
        action: {
          type: 'merchant-endpoint',
          endpoint,
          mode,
          ...(hangMs !== undefined ? { hangMs } : {}),
          minHoldMs: random.int(2000, 6000),
        },
      });
      faults.push({ afterFinished: Math.min(end, n), action: { type: 'merchant-endpoint', endpoint, mode: 'normal' } });
    });
  }
  return faults;
}

export function describeFault(action: FaultAction): string {
  switch (action.type) {
    case 'kill-worker':
      return `SIGKILL worker ${action.worker}, restart it after ${action.downMs} ms`;
    case 'restart-temporal':
      return `stop the Temporal server (${action.signal}), restart it after ${action.downMs} ms`;
    case 'restart-api':
      return `stop the API (${action.signal}), restart it after ${action.downMs} ms`;
    case 'zuz-burst':
      return `Zuz ${action.fault}: ${action.count}`;
    case 'zuz-late-answers':
      return `Zuz answers late: every Pending operation created in the next ${action.windowMs} ms resolves ${action.lateByMs} ms late`;
    case 'zuz-outage':
      return `Zuz outage: the next ${action.answersLost} answers lost, then every request refused for ${action.durationMs} ms`;
    case 'zuz-webhooks':
      return action.mode === 'normal'
        ? "Zuz webhooks back to 'normal'"
        : `Zuz webhooks '${action.mode}'${action.delayMs !== undefined ? ` (webhookDelayMs ${action.delayMs})` : ''} for at least ${action.minHoldMs} ms`;
    case 'merchant-endpoint': {
      const what = {
        normal: 'back to normal answers',
        fail: 'answers 500',
        hang: `holds each request ${action.hangMs} ms before answering`,
        drop: 'drops each connection unanswered',
      }[action.mode];
      return `merchant endpoint ${action.endpoint} ${what}${action.mode === 'normal' ? '' : ` for at least ${action.minHoldMs} ms`}`;
    }
  }
}

export function describeSchedule(schedule: readonly ScheduledFault[]): string {
  return schedule
    .map(
      (fault, i) =>
        `  #${String(i + 1).padStart(2)} after ${String(fault.afterFinished).padStart(4)} finished: ${describeFault(fault.action)}`,
    )
    .join('\n');
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
