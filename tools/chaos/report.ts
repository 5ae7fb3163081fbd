/**
 * The run's JSON report: enough to judge it and to replay it (seed, arguments, schedule, the
 * faults as injected with their times, counts, durations, and each invariant's violations with
 * the first examples).
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type { ChaosArgs } from './args';
import type { TransactionRun } from './driver';
import type { Evidence } from './evidence';
import type { InjectedFault } from './fault-injector';
import type { ScheduledFault } from './fault-schedule';
import type { InvariantResult, Violation } from './invariants';
import { finalView } from '../invariants/types';
import type { ProcessExit } from './service-process';
import { countBy, percentile } from './stats';
import type { ClosingReconciliation } from './reconcile';

const EXAMPLES_PER_INVARIANT = 10;

export interface ChaosReport {
  ok: boolean;
  seed: number;
  args: ChaosArgs & { seed: number };
  replay: string;
  startedAt: string;
  durationMs: number;
  /** Of the duration: starting the stack (fault times count from the end of it). */
  stackStartupMs?: number;
  stoppedByGlobalTimeout: boolean;
  machine: { cpus: number; cpuModel?: string; memoryGb: number; platform: string; node: string };
  stack: {
    /** The Temporal it ran on (--engine): e.g. "Temporal 1.29.1 server on PostgreSQL (cluster)". */
    engine: string;
    temporalAddress: string;
    apiUrl: string;
    workers: number;
    database: 'started for the run' | 'DATABASE_URL';
    logsDir?: string;
    flow: Record<string, string>;
    timeScale: number;
  };
  counts: {
    planned: number;
    started: number;
    terminal: number;
    perKind: Record<string, number>;
    perStatus: Record<string, number>;
    perKindAndStatus: Record<string, Record<string, number>>;
  };
  timeToTerminalMs: { p50?: number; p99?: number; max?: number; perKind: Record<string, { p50?: number; p99?: number; max?: number }> };
  schedule: Array<{ number: number; afterFinished: number; action: ScheduledFault['action'] }>;
  faultsInjected: InjectedFault[];
  /** What the reconciliation run before the checks found and repaired (late answers land here). */
  closingReconciliation?: ClosingReconciliation;
  /** The run after it, over the same state: it must ask Zuz for nothing more (reconciliation-converges). */
  secondReconciliation?: ClosingReconciliation;
  faultsInjectedPerType: Record<string, number>;
  /** Exits of workers or the API that no fault caused (while starting: it gave up and was started again). */
  processExits: ProcessExit[];
  invariants: Array<{ name: string; description: string; violations: number; examples: Violation[]; notes?: Record<string, unknown> }>;
  /** One line per transaction, for reading a failure against the fault times. */
  transactions: TransactionLine[];
  runError?: string;
}

export interface TransactionLine {
  transactionId: string;
  kind: string;
  status?: string;
  failureCode?: string;
  capturedAmount?: number;
  /** Milliseconds since the drive started, and from the first POST to the terminal state seen. */
  startedAtMs?: number;
  timeToTerminalMs?: number;
  /** When the status turned terminal, if that was well before the transaction finished. */
  terminalStatusAfterMs?: number;
  clientAction?: string;
  problem?: string;
}

export interface ReportInput {
  args: ChaosArgs & { seed: number };
  startedAt: number;
  stackStartupMs?: number;
  stoppedByGlobalTimeout: boolean;
  runs: readonly TransactionRun[];
  evidence: readonly Evidence[];
  schedule: readonly ScheduledFault[];
  injected: readonly InjectedFault[];
  processExits: readonly ProcessExit[];
  invariants: readonly InvariantResult[];
  stack: ChaosReport['stack'];
  runError?: string;
}

export function buildReport(input: ReportInput): ChaosReport {
  const { args, runs, evidence } = input;
  const durations = (items: readonly TransactionRun[]) =>
    items.filter((run) => run.terminalAt !== undefined).map((run) => run.terminalAt! - run.startedAt!);
  const timing = (items: readonly TransactionRun[]) => {
    const values = durations(items);
    return { p50: percentile(values, 50), p99: percentile(values, 99), max: percentile(values, 100) };
  };
  const statusOf = (item: Evidence) => finalView(item)?.status ?? (item.run.startedAt === undefined ? 'not-started' : 'unknown');
  const perKindAndStatus: Record<string, Record<string, number>> = {};
  for (const item of evidence) {
    const byStatus = (perKindAndStatus[item.run.plan.kind] ??= {});
    byStatus[statusOf(item)] = (byStatus[statusOf(item)] ?? 0) + 1;
  }
  const kinds = [...new Set(runs.map((run) => run.plan.kind))];
  const violationsTotal = input.invariants.reduce((total, invariant) => total + invariant.violations.length, 0);
  return {
    ok: violationsTotal === 0 && !input.runError,
    seed: args.seed,
    args: input.args,
    replay: replayCommand(args),
    startedAt: new Date(input.startedAt).toISOString(),
    durationMs: Date.now() - input.startedAt,
    stackStartupMs: input.stackStartupMs,
    stoppedByGlobalTimeout: input.stoppedByGlobalTimeout,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    stack: input.stack,
    counts: {
      planned: runs.length,
      started: runs.filter((run) => run.startedAt !== undefined).length,
      terminal: runs.filter((run) => run.terminalAt !== undefined).length,
      perKind: countBy(runs, (run) => run.plan.kind),
      perStatus: countBy(evidence, statusOf),
      perKindAndStatus,
    },
    timeToTerminalMs: {
      ...timing(runs),
      perKind: Object.fromEntries(kinds.map((kind) => [kind, timing(runs.filter((run) => run.plan.kind === kind))])),
    },
    schedule: input.schedule.map((fault, i) => ({ number: i + 1, ...fault })),
    faultsInjected: [...input.injected],
    faultsInjectedPerType: countBy(
      input.injected.filter((fault) => !fault.error),
      (fault) => fault.type,
    ),
    processExits: [...input.processExits],
    invariants: input.invariants.map((invariant) => ({
      name: invariant.name,
      description: invariant.description,
      violations: invariant.violations.length,
      examples: invariant.violations.slice(0, EXAMPLES_PER_INVARIANT),
      ...(invariant.notes ? { notes: invariant.notes } : {}),
    })),
    transactions: evidence.map((item) => transactionLine(item, input.startedAt + (input.stackStartupMs ?? 0))),
    ...(input.runError ? { runError: input.runError } : {}),
  };
}

function transactionLine(item: Evidence, driveStartedAt: number): TransactionLine {
  const { run } = item;
  const view = finalView(item);
  return {
    transactionId: run.plan.transactionId,
    kind: run.plan.kind,
    status: view?.status,
    failureCode: view?.failure?.code,
    capturedAmount: view?.capturedAmount,
    startedAtMs: run.startedAt !== undefined ? run.startedAt - driveStartedAt : undefined,
    timeToTerminalMs: run.terminalAt !== undefined ? run.terminalAt - run.startedAt! : undefined,
    terminalStatusAfterMs:
      run.terminalStatusAt !== undefined && run.terminalStatusAt !== run.terminalAt ? run.terminalStatusAt - run.startedAt! : undefined,
    clientAction: run.actionStatus !== undefined ? `${run.plan.action.type} -> ${run.actionStatus}` : undefined,
    problem: run.problem,
  };
}

/** The command line that replays the run: the same seed, sizes and opt-in faults. */
export function replayCommand(args: ChaosArgs & { seed: number }): string {
  const extras = [
    args.engine !== 'dev' ? ` --engine ${args.engine}` : '',
    args.zuzOutageSeconds > 0 ? ` --zuz-outage-seconds ${args.zuzOutageSeconds}` : '',
    args.lateAnswerSeconds > 0 ? ` --late-answer-seconds ${args.lateAnswerSeconds}` : '',
    args.workerKills !== undefined ? ` --worker-kills ${args.workerKills}` : '',
    args.temporalRestarts > 1 ? ` --temporal-restarts ${args.temporalRestarts}` : '',
    args.deadlineSeconds !== 180 ? ` --deadline-seconds ${args.deadlineSeconds}` : '',
    args.timeScale !== 0.1 ? ` --time-scale ${args.timeScale}` : '',
  ].join('');
  return `npm run chaos -- --transactions ${args.transactions} --seed ${args.seed} --workers ${args.workers} --concurrency ${args.concurrency}${extras}`;
}

export function writeReport(report: ChaosReport, file: string): void {
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}
