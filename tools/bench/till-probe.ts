/**
 * `node build/tools/bench/till-probe.js [--engine dev|cluster] [--rounds 30]`: the till's probe of
 * issue #35 — one card payment at a time — with eager activity dispatch off and on, side by side
 * in one run, against the same provider calls made directly. Each round sends, to each arm in turn
 * (the order alternating from round to round), a plain POST timed to the workflow's end and a
 * `Prefer: wait` POST timed to its decision (201) and to the end; then the direct calls.
 *
 * Per transaction and arm: the latencies, and the CPU every process of the arm used from the POST
 * to `--settle-ms` after the end (workers, API, Temporal, PostgreSQL with its backends; /proc).
 * After the rounds, each arm's histories (events, workflow tasks, activity tasks, local activities,
 * each activity's scheduled -> started) and a costs phase per arm: `--costs` transactions of each
 * kind after an idle window whose background rate is taken off, counting the Temporal server's
 * eager dispatches (`activity_eager_execution`), requests by service, persistence operations and
 * their latency, and the service database's transactions (pg_stat_database) and, on the dev server
 * (whose PostgreSQL is the arm's own), its statements by process (PostgreSQL's statement log,
 * split by application_name). How the arms are built: till-arms.ts.
 *
 * Prints Markdown tables and writes a JSON report with every sample. `--quick` proves it works.
 * `TILL_PROBE_DEV_SETTING=search-attribute-cache` (dev only): the arms differ in the dev server's
 * search-attribute cache instead, off and on, with eager dispatch on in both.
 * `TILL_PROBE_DEV_SETTING=flow:<patch id>` (dev only): the arms differ in the flow: "off" runs it as
 * it was before that patch (e.g. `flow:zuz-requests-as-local-activities`, flow v9), "on" as built.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { z } from 'zod';
import { workflowIdFor } from '../../src/transaction/model';
import { loadDevConfig } from '../../sandbox/config';
import { ENGINES } from '../chaos/args';
import { provisionCluster } from '../chaos/engine';
import { ExitGuard } from '../chaos/exit-guard';
import { percentile } from '../chaos/stats';
import { sleep } from '../chaos/sleep';
import { argsOrUsage, integer, parseArgs, runToolMain } from '../cli-args';
import { QueryCounter, postgresVersion } from './db-stats';
import { fetchHistories, taskCounts, type TaskCounts } from './histories';
import { round, summarizeLatency, type LatencySummary } from './summary-stats';
import { DirectCalls, EAGER_START_MS, grownBy, ROLES, startArms, type Arm, type Role } from './till-arms';
import { machineInfo, type MachineInfo } from './versions';
import type { CardKind } from './workload';

/** The server publishes its metrics every second or so: wait this long before the last reading. */
const METRICS_PUBLISHED_MS = 5000;

const argsSchema = z
  .object({
    quick: z.boolean().default(false),
    engine: z.enum(ENGINES, { error: `--engine must be ${ENGINES.join(' or ')}` }).default('dev'),
    /** Measured rounds (each: a plain and a `Prefer: wait` transaction per arm and per --block, and the direct calls). */
    rounds: integer('rounds').min(1, '--rounds must be >= 1').max(1000, '--rounds must be <= 1000').default(30),
    /** Rounds before the measured ones (a fresh worker's first transactions are not the setting's cost). */
    warmup: integer('warmup').min(0, '--warmup must be >= 0').max(100, '--warmup must be <= 100').default(3),
    /** Transactions of each kind per arm's turn: 1 on the dev server; more on the cluster, where a turn's switch takes 10-20 s. */
    block: integer('block').min(1, '--block must be >= 1').max(100, '--block must be <= 100').optional(),
    /** The card: `approved` (Zuz authorizes and captures at once: the issue's probe) or `pending-approved` (the bench's webhook path). */
    kind: z.enum(['approved', 'pending-approved'], { error: '--kind must be approved or pending-approved' }).default('approved'),
    workers: integer('workers').min(1, '--workers must be >= 1').max(4, '--workers must be <= 4').default(1),
    /** After each transaction's end, how long its arm's CPU is still counted (webhooks, the workflow's last task). */
    settleMs: integer('settle-ms').min(0, '--settle-ms must be >= 0').max(5000, '--settle-ms must be <= 5000').default(300),
    /** Transactions of each kind per arm in the costs phase (server requests, persistence operations, database statements). */
    costs: integer('costs').min(1, '--costs must be >= 1').max(200, '--costs must be <= 200').default(10),
    timeScale: z.coerce.number({ error: '--time-scale must be a number' }).positive().max(1).default(0.02),
    report: z.string().min(1, '--report must be a file path').default('till-probe-report.json'),
    keepLogs: z.boolean().default(false),
  })
  .strict();

type Args = z.infer<typeof argsSchema>;

const USAGE = `Usage: node build/tools/bench/till-probe.js [--quick] [--engine dev|cluster] [--rounds 30] [--warmup 3] [--block N]
       [--kind approved|pending-approved] [--workers 1] [--settle-ms 300] [--costs 10] [--time-scale 0.02] [--report F] [--keep-logs]`;

const parse = (argv: readonly string[]): Args =>
  parseArgs(argv, argsSchema, { booleanFlags: new Set(['quick', 'keepLogs']), usage: USAGE });

type Shape = 'plain' | 'wait';

interface Sample {
  round: number;
  shape: Shape;
  workflowId: string;
  /** plain: POST -> end; wait: POST -> decision (201). */
  answerMs: number;
  /** POST -> the workflow's end. */
  endMs: number;
  cpuMs: Record<Role, number>;
}

interface DirectSample {
  round: number;
  decisionMs: number;
  terminalMs: number;
}

/** What the costs phase counted per transaction on one arm (its setting in force, nothing else running on its stack). */
interface ArmCosts {
  transactions: number;
  /** The server's `activity_eager_execution` counter. */
  eagerActivities: number;
  /**
   * The server's `persistence_requests`, by operation (SQLite on the dev server, PostgreSQL on the
   * cluster). Background work that comes in lumps (task queue leases, metadata refreshes) does not
   * extrapolate from the idle window and may read negative: the operations that follow the
   * transactions are the large positive ones.
   */
  persistenceRequests: Record<string, number>;
  /** CreateWorkflowExecution + UpdateWorkflowExecution: the writes a workflow's history shard makes one at a time. */
  workflowWrites: number;
  /** Mean `persistence_latency` (ms) of the operations above 0.5 per transaction, over the transactions' window. */
  persistenceLatencyMs: Record<string, number>;
  /** The server's `service_requests`, by service and operation (frontend, history, matching). */
  serviceRequests: Record<string, number>;
  serviceRequestsByService: Record<string, number>;
  statements: StatementCount;
}

interface StatementCount {
  /** pg_stat_database's xact_commit + xact_rollback per transaction (what the bench's table has counted so far). */
  pgTransactionsPerTransaction: number;
  /** Statements PostgreSQL logged per transaction, by application_name (the API, the workers); dev server only (its own PostgreSQL). */
  statementsPerTransaction: Record<string, number> | null;
  /** The most frequent statements (first 80 characters) and their count per transaction. */
  topStatements: Array<{ statement: string; application: string; perTransaction: number }>;
}

interface ArmResult {
  name: string;
  eager: boolean;
  plainEndMs: LatencySummary;
  decisionMs: LatencySummary;
  waitEndMs: LatencySummary;
  cpuMsPerTransaction: Record<Role | 'total', number>;
  /** From the histories: activities started less than EAGER_START_MS after they were scheduled. */
  startedAtOncePerTransaction: Record<Shape, number>;
  costs: ArmCosts;
  history: Record<Shape, TaskCountSummary>;
  samples: Sample[];
}

type TaskCountSummary = Omit<TaskCounts, 'activityScheduleToStartMs'> & { activityScheduleToStartMs: LatencySummary; workflows: number };

interface ProbeReport {
  startedAt: string;
  command: string;
  args: Args;
  machine: MachineInfo;
  loadAverage: { start: string; end: string };
  arms: ArmResult[];
  direct: { decisionMs: LatencySummary; terminalMs: LatencySummary; samples: DirectSample[] };
  /** Medians of per-round ratios (each pair measured in the same round). */
  ratios: Record<string, number | null>;
  durationSeconds: number;
  errors: string[];
}

async function main(): Promise<number> {
  const args = argsOrUsage(parse, process.argv.slice(2));
  if (!args) return 2;
  if (args.engine === 'cluster' && !provisionCluster('till-probe')) return 1;
  const rounds = args.quick ? 2 : args.rounds;
  const warmup = args.quick ? 1 : args.warmup;
  const block = args.block ?? (args.engine === 'cluster' ? 5 : 1);
  const costTransactions = args.quick ? 2 : args.costs;
  const started = Date.now();
  const say = (line: string) => console.log(`[till-probe +${Math.round((Date.now() - started) / 1000)}s] ${line}`);
  const guard = new ExitGuard('till-probe');
  guard.install();
  const logsDir = mkdtempSync(path.join(tmpdir(), 'pos-till-probe-'));
  const errors: string[] = [];
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
  say(`load average at start: ${loadAtStart}; logs in ${logsDir}`);
  let arms: Arm[] = [];
  let direct: DirectCalls | undefined;
  let report: ProbeReport | undefined;
  try {
    arms = await startArms({ engine: args.engine, workers: args.workers, timeScale: args.timeScale, customers: 50, logsDir }, guard, say);
    direct = await DirectCalls.start({ timeScale: args.timeScale, customers: 50 });
    const samples = new Map<Arm, Sample[]>(arms.map((arm) => [arm, []]));
    const directSamples: DirectSample[] = [];
    const cardKind: CardKind = args.kind;

    for (let r = -warmup; r < rounds; r++) {
      const order = ((r % 2) + 2) % 2 === 0 ? arms : [...arms].reverse();
      for (const arm of order) {
        await arm.activate();
        for (let i = 0; i < block; i++) {
          for (const shape of ['plain', 'wait'] as const) {
            const sample = await measure(arm, shape, cardKind, r, args.settleMs);
            if (r >= 0) samples.get(arm)!.push(sample);
          }
        }
      }
      for (let i = 0; i < block; i++) {
        const run = await direct.run(direct.workload.transaction(cardKind, 'auto', 'direct'));
        if (r >= 0) directSamples.push({ round: r, ...run });
      }
      if (r >= 0 && (r + 1) % 5 === 0) say(`round ${r + 1} of ${rounds}`);
    }

    const results: ArmResult[] = [];
    for (const arm of arms) {
      const costs = await measureCosts(arm, costTransactions, cardKind, say);
      results.push(await summarizeArm(arm, samples.get(arm)!, costs));
    }
    const machine = machineInfo(loadDevConfig(process.env).temporalCli, await postgresVersion(arms[0].databaseUrl));
    machine.loadAverageAtStart = loadAtStart;
    report = {
      startedAt: new Date(started).toISOString(),
      command: `node build/tools/bench/till-probe.js ${process.argv.slice(2).join(' ')}`.trim(),
      args,
      machine,
      loadAverage: { start: loadAtStart, end: readFileSync('/proc/loadavg', 'utf8').trim() },
      arms: results,
      direct: {
        decisionMs: summarizeLatency(directSamples.map((s) => s.decisionMs)),
        terminalMs: summarizeLatency(directSamples.map((s) => s.terminalMs)),
        samples: directSamples,
      },
      ratios: pairedRatios(samples.get(arms[0])!, samples.get(arms[1])!, directSamples),
      durationSeconds: 0,
      errors,
    };
  } catch (err) {
    errors.push((err as Error).message);
    console.error(`[till-probe] the run failed: ${(err as Error).stack ?? String(err)}`);
  }
  await direct?.close().catch(() => undefined);
  const stacks = [...new Set(arms.map((arm) => arm.stack))];
  await Promise.all(arms.map((arm) => arm.client.connection.close().catch(() => undefined)));
  await guard.stopGracefully({ stop: () => Promise.all(stacks.map((stack) => stack.stop())).then(() => undefined) });
  if (!report) return 1;
  report.durationSeconds = Math.round((Date.now() - started) / 1000);
  if (args.keepLogs || errors.length) say(`logs kept in ${logsDir}`);
  else rmSync(logsDir, { recursive: true, force: true });
  writeFileSync(path.resolve(args.report), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${render(report)}\n\n[till-probe] report written to ${path.resolve(args.report)}`);
  return errors.length ? 1 : 0;
}

/** One transaction on one arm, timed and costed. */
async function measure(arm: Arm, shape: Shape, kind: CardKind, roundNumber: number, settleMs: number): Promise<Sample> {
  const request = arm.workload.transaction(kind, 'auto', shape);
  const cpuBefore = arm.cpu();
  const startedAt = performance.now();
  let answerMs: number;
  if (shape === 'wait') {
    const run = await arm.flow.runDecidingFirst(request);
    if (!run.decidedInTime) throw new Error(`${request.transactionId}: no decision within the wait (202)`);
    answerMs = run.decisionMs;
  } else {
    await arm.flow.run(request);
    answerMs = performance.now() - startedAt;
  }
  const endMs = performance.now() - startedAt;
  await sleep(settleMs);
  const cpuAfter = arm.cpu();
  return {
    round: roundNumber,
    shape,
    workflowId: workflowIdFor(request.transactionId),
    answerMs: round(answerMs, 2),
    endMs: round(endMs, 2),
    cpuMs: Object.fromEntries(ROLES.map((role) => [role, round((cpuAfter[role] - cpuBefore[role]) * 1000, 1)])) as Record<Role, number>,
  };
}

async function summarizeArm(arm: Arm, samples: Sample[], costs: ArmCosts): Promise<ArmResult> {
  const of = (shape: Shape) => samples.filter((s) => s.shape === shape);
  const cpu = Object.fromEntries(
    ROLES.map((role) => [role, round(samples.reduce((sum, s) => sum + s.cpuMs[role], 0) / Math.max(1, samples.length), 1)]),
  ) as Record<Role, number>;
  const history = {} as Record<Shape, TaskCountSummary>;
  const startedAtOncePerTransaction = {} as Record<Shape, number>;
  for (const shape of ['plain', 'wait'] as const) {
    const counts = (
      await fetchHistories(
        arm.client,
        of(shape).map((s) => s.workflowId),
      )
    ).map(taskCounts);
    history[shape] = summarizeCounts(counts);
    const atOnce = counts.reduce((sum, c) => sum + c.activityScheduleToStartMs.filter((ms) => ms < EAGER_START_MS).length, 0);
    startedAtOncePerTransaction[shape] = round(atOnce / Math.max(1, counts.length), 2);
  }
  return {
    name: arm.name,
    eager: arm.eager,
    plainEndMs: summarizeLatency(of('plain').map((s) => s.endMs)),
    decisionMs: summarizeLatency(of('wait').map((s) => s.answerMs)),
    waitEndMs: summarizeLatency(of('wait').map((s) => s.endMs)),
    cpuMsPerTransaction: {
      ...cpu,
      total: round(
        ROLES.reduce((sum, role) => sum + cpu[role], 0),
        1,
      ),
    },
    startedAtOncePerTransaction,
    history,
    costs,
    samples,
  };
}

function summarizeCounts(counts: TaskCounts[]): TaskCountSummary {
  const n = Math.max(1, counts.length);
  const meanOf = (key: keyof Omit<TaskCounts, 'activityScheduleToStartMs'>) => round(counts.reduce((sum, c) => sum + c[key], 0) / n, 2);
  return {
    workflows: counts.length,
    events: meanOf('events'),
    workflowTasks: meanOf('workflowTasks'),
    activityTasks: meanOf('activityTasks'),
    localActivities: meanOf('localActivities'),
    signals: meanOf('signals'),
    timers: meanOf('timers'),
    updates: meanOf('updates'),
    activityScheduleToStartMs: summarizeLatency(counts.flatMap((c) => c.activityScheduleToStartMs)),
  };
}

/** Per-round ratios (B/A, arm/direct), then their median: the machine's drift falls on both sides of each. */
function pairedRatios(off: Sample[], on: Sample[], direct: DirectSample[]): Record<string, number | null> {
  const median = (values: number[]) => (values.length ? round(percentile(values, 50)!, 3) : null);
  const pairs = (shape: Shape, value: (s: Sample) => number) => {
    const a = off.filter((s) => s.shape === shape);
    const b = on.filter((s) => s.shape === shape);
    return median(a.slice(0, b.length).map((s, i) => value(b[i]) / value(s)));
  };
  const toDirect = (arm: Sample[], shape: Shape, value: (s: Sample) => number, yardstick: (d: DirectSample) => number) => {
    const list = arm.filter((s) => s.shape === shape);
    return median(list.slice(0, direct.length).map((s, i) => value(s) / yardstick(direct[i])));
  };
  const total = (s: Sample) => ROLES.reduce((sum, role) => sum + s.cpuMs[role], 0);
  const sumOf = (list: Sample[], value: (s: Sample) => number) => list.reduce((sum, s) => sum + value(s), 0);
  return {
    'on/off POST -> end (plain)': pairs('plain', (s) => s.endMs),
    'on/off Prefer: wait -> decision': pairs('wait', (s) => s.answerMs),
    'on/off Prefer: wait -> end': pairs('wait', (s) => s.endMs),
    // CPU is counted in clock ticks (10 ms) per process: the ratio of the sums, not a median of per-transaction ratios.
    'on/off CPU per transaction (all roles)': sumOf(off, total) ? round(sumOf(on, total) / sumOf(off, total), 3) : null,
    ...Object.fromEntries(
      ROLES.map((role) => [
        `on/off CPU per transaction (${role})`,
        sumOf(off, (s) => s.cpuMs[role]) ? round(sumOf(on, (s) => s.cpuMs[role]) / sumOf(off, (s) => s.cpuMs[role]), 3) : null,
      ]),
    ),
    'off/direct decision': toDirect(
      off,
      'wait',
      (s) => s.answerMs,
      (d) => d.decisionMs,
    ),
    'on/direct decision': toDirect(
      on,
      'wait',
      (s) => s.answerMs,
      (d) => d.decisionMs,
    ),
    'off/direct POST -> end': toDirect(
      off,
      'plain',
      (s) => s.endMs,
      (d) => d.terminalMs,
    ),
    'on/direct POST -> end': toDirect(
      on,
      'plain',
      (s) => s.endMs,
      (d) => d.terminalMs,
    ),
  };
}

/**
 * The costs phase of one arm: `n` plain and `n` `Prefer: wait` transactions one at a time, its
 * setting in force, and around them the Temporal server's counters (eager dispatches, persistence
 * operations, requests per service) and the service database's statements: PostgreSQL counts them
 * as transactions (pg_stat_database), and on the dev server, whose PostgreSQL is the arm's own, logs
 * each one (log_statement = all, prefixed with the client's application_name) for the split by
 * process; logging is switched off again after.
 */
async function measureCosts(arm: Arm, n: number, kind: CardKind, say: (line: string) => void): Promise<ArmCosts> {
  await arm.activate();
  say(`${arm.name}: costs of ${2 * n} transactions`);
  const admin = new PgClient({ connectionString: arm.databaseUrl });
  await admin.connect();
  const counter = await QueryCounter.open(arm.databaseUrl, 11_000);
  const logged = arm.postgresLog;
  try {
    if (logged) {
      await admin.query(`ALTER SYSTEM SET log_line_prefix = '%a|'`);
      await admin.query(`ALTER SYSTEM SET log_statement = 'all'`);
      await admin.query('SELECT pg_reload_conf()');
    }
    // An idle window first (as long as a statistics reading waits), then the transactions: what the
    // stack does on its own meanwhile (timers, the outbox's polling, the server's metadata refreshes)
    // is measured per second in the first and taken off the second.
    const idleStart = await reading(arm, counter, logged);
    const idleEnd = await reading(arm, counter, logged);
    for (let i = 0; i < n; i++) {
      await arm.flow.run(arm.workload.transaction(kind, 'auto', 'cost'));
      await arm.flow.runDecidingFirst(arm.workload.transaction(kind, 'auto', 'cost'));
    }
    await sleep(METRICS_PUBLISHED_MS); // the last webhooks, and the server's metrics published
    const end = await reading(arm, counter, logged);
    if (logged) {
      await admin.query('ALTER SYSTEM RESET log_statement');
      await admin.query('ALTER SYSTEM RESET log_line_prefix');
      await admin.query('SELECT pg_reload_conf()');
    }
    const transactions = 2 * n;
    const scale = (end.at - idleEnd.at) / (idleEnd.at - idleStart.at);
    /** Per transaction: what grew during the transactions less the idle window's growth, scaled to their duration. */
    // Long polls are the exception: an idle one is counted when it times out (a minute), a busy one when a task comes.
    const net = (busy: Record<string, number>, idle: Record<string, number>) =>
      Object.fromEntries(
        [...new Set([...Object.keys(busy), ...Object.keys(idle)])]
          .map((key) => [key, round(((busy[key] ?? 0) - (/\bPoll/.test(key) ? 0 : (idle[key] ?? 0) * scale)) / transactions, 2)] as const)
          .filter(([, perTransaction]) => Math.abs(perTransaction) >= 0.01)
          .sort((a, b) => b[1] - a[1]),
      );
    const counted = (name: string, labels: string[]) =>
      net(grownBy(idleEnd.metrics, end.metrics, name, labels), grownBy(idleStart.metrics, idleEnd.metrics, name, labels));
    const service = counted('service_requests', ['service_name', 'operation']);
    const byService: Record<string, number> = {};
    for (const [key, count] of Object.entries(service))
      byService[key.split('/')[0]] = round((byService[key.split('/')[0]] ?? 0) + count, 2);
    const persistence = counted('persistence_requests', ['operation']);
    const sum = (counts: Record<string, number>) =>
      round(
        Object.values(counts).reduce((total, count) => total + count, 0),
        2,
      );
    const statements = logged
      ? statementsLogged(
          readFileSync(logged).subarray(idleStart.logBytes, idleEnd.logBytes).toString('utf8'),
          readFileSync(logged).subarray(idleEnd.logBytes, end.logBytes).toString('utf8'),
          scale,
          transactions,
        )
      : { statementsPerTransaction: null, topStatements: [] };
    return {
      transactions,
      eagerActivities: sum(counted('activity_eager_execution', ['namespace'])),
      persistenceRequests: persistence,
      workflowWrites: round((persistence.CreateWorkflowExecution ?? 0) + (persistence.UpdateWorkflowExecution ?? 0), 2),
      persistenceLatencyMs: meanLatencies(
        idleEnd.metrics,
        end.metrics,
        Object.keys(persistence).filter((op) => persistence[op] >= 0.5),
      ),
      serviceRequests: service,
      serviceRequestsByService: byService,
      statements: {
        pgTransactionsPerTransaction: round(
          (QueryCounter.between(idleEnd.pg, end.pg) - QueryCounter.between(idleStart.pg, idleEnd.pg) * scale) / transactions,
          2,
        ),
        ...statements,
      },
    };
  } finally {
    await counter.close();
    await admin.end();
  }
}

/** The mean of the server's `persistence_latency` histogram per operation between two readings (its sum is in seconds). */
function meanLatencies(before: Map<string, number>, after: Map<string, number>, operations: string[]): Record<string, number> {
  const sums = grownBy(before, after, 'persistence_latency_sum', ['operation']);
  const counts = grownBy(before, after, 'persistence_latency_count', ['operation']);
  return Object.fromEntries(operations.filter((op) => counts[op]).map((op) => [op, round((sums[op] / counts[op]) * 1000, 2)]));
}

interface Reading {
  at: number;
  pg: number;
  metrics: Map<string, number>;
  logBytes: number;
}

/** The statistics (after their flush wait), the server's metrics and the log's length, at one moment. */
async function reading(arm: Arm, counter: QueryCounter, log: string | undefined): Promise<Reading> {
  const pg = await counter.read();
  return { at: Date.now(), pg, metrics: await arm.serverMetrics(), logBytes: log ? statSync(log).size : 0 };
}

/** PostgreSQL's statement log lines (`<application>|LOG:  statement: ...` or `execute <name>: ...`), by application and by statement. */
function countLogged(log: string): Map<string, { application: string; statement: string; count: number }> {
  const counts = new Map<string, { application: string; statement: string; count: number }>();
  for (const line of log.split('\n')) {
    const match = /^([^|]*)\|LOG:\s+(?:statement|execute [^:]*): (.*)$/.exec(line);
    if (!match || match[1] === '[unknown]') continue; // no application_name: this tool's own readings
    const application = match[1];
    const statement = match[2].replace(/\s+/g, ' ').slice(0, 80);
    const entry = counts.get(`${application} ${statement}`) ?? { application, statement, count: 0 };
    entry.count++;
    counts.set(`${application} ${statement}`, entry);
  }
  return counts;
}

/** Statements per transaction: those logged during the transactions less the idle window's, scaled to their duration. */
function statementsLogged(
  idleLog: string,
  busyLog: string,
  scale: number,
  transactions: number,
): Pick<StatementCount, 'statementsPerTransaction' | 'topStatements'> {
  const idle = countLogged(idleLog);
  const busy = countLogged(busyLog);
  const perStatement = [...new Set([...idle.keys(), ...busy.keys()])].map((key) => {
    const { application, statement } = (busy.get(key) ?? idle.get(key))!;
    return { application, statement, perTransaction: ((busy.get(key)?.count ?? 0) - (idle.get(key)?.count ?? 0) * scale) / transactions };
  });
  const byApplication: Record<string, number> = {};
  for (const { application, perTransaction } of perStatement)
    byApplication[application] = (byApplication[application] ?? 0) + perTransaction;
  return {
    statementsPerTransaction: Object.fromEntries(Object.entries(byApplication).map(([app, count]) => [app, round(count, 2)])),
    topStatements: perStatement
      .filter((s) => Math.abs(s.perTransaction) >= 0.01)
      .sort((a, b) => b.perTransaction - a.perTransaction)
      .slice(0, 30)
      .map((s) => ({ ...s, perTransaction: round(s.perTransaction, 2) })),
  };
}

function render(report: ProbeReport): string {
  const [off, on] = report.arms;
  const p = (summary: LatencySummary) => `${summary.p50 ?? '-'} / ${summary.p95 ?? '-'}`;
  const cpu = (arm: ArmResult) => `${ROLES.map((role) => arm.cpuMsPerTransaction[role]).join(' / ')} = ${arm.cpuMsPerTransaction.total}`;
  const r = (key: string) => report.ratios[key] ?? '-';
  const counts = (arm: ArmResult, shape: Shape) => {
    const h = arm.history[shape];
    return `${h.events} / ${h.workflowTasks} / ${h.activityTasks} / ${h.localActivities}`;
  };
  const both = (value: (arm: ArmResult) => string | number) => `${value(off)} | ${value(on)}`;
  const top = (counts: Record<string, number>, k: number) =>
    Object.entries(counts)
      .slice(0, k)
      .map(([key, count]) => `${key} ${count}`)
      .join(', ');
  const statements = (arm: ArmResult) => {
    const s = arm.costs.statements;
    const logged = s.statementsPerTransaction ? `${top(s.statementsPerTransaction, 5)}; ` : '';
    return `${logged}pg_stat_database ${s.pgTransactionsPerTransaction}`;
  };
  const lines = [
    `#### Till probe (${report.args.engine}, ${report.args.kind} card, ${off.plainEndMs.count} rounds; load ${report.loadAverage.start} -> ${report.loadAverage.end})`,
    '',
    `| figure | ${off.name} | ${on.name} | on / off (median of per-round ratios) |`,
    '| --- | --- | --- | --- |',
    `| POST -> end, p50 / p95 ms | ${both((a) => p(a.plainEndMs))} | ${r('on/off POST -> end (plain)')} |`,
    `| \`Prefer: wait\` POST -> decision, p50 / p95 ms | ${both((a) => p(a.decisionMs))} | ${r('on/off Prefer: wait -> decision')} |`,
    `| \`Prefer: wait\` POST -> end, p50 / p95 ms | ${both((a) => p(a.waitEndMs))} | ${r('on/off Prefer: wait -> end')} |`,
    `| CPU ms per transaction: workers / API / Temporal / PostgreSQL = total | ${both(cpu)} | ${r('on/off CPU per transaction (all roles)')} (ratio of sums) |`,
    `| decision / direct provider calls (direct p50 ${report.direct.decisionMs.p50} ms) | ${both((a) => `${r(`${a.eager ? 'on' : 'off'}/direct decision`)}x`)} | |`,
    `| POST -> end / direct provider calls (direct p50 ${report.direct.terminalMs.p50} ms) | ${both((a) => `${r(`${a.eager ? 'on' : 'off'}/direct POST -> end`)}x`)} | |`,
    `| activities started 0 ms after scheduled, per transaction (history): plain / wait | ${both((a) => `${a.startedAtOncePerTransaction.plain} / ${a.startedAtOncePerTransaction.wait}`)} | |`,
    `| activity scheduled -> started, p50 / p95 ms (history) | ${both((a) => p(a.history.plain.activityScheduleToStartMs))} | |`,
    `| per transaction, plain POST: history events / workflow tasks / activity tasks / local activities | ${both((a) => counts(a, 'plain'))} | |`,
    `| the same, \`Prefer: wait\` | ${both((a) => counts(a, 'wait'))} | |`,
    `| costs phase (${off.costs.transactions} transactions per arm): activities dispatched eagerly per transaction (server counter) | ${both((a) => a.costs.eagerActivities)} | |`,
    `| Temporal requests per transaction by service | ${both((a) => top(a.costs.serviceRequestsByService, 4))} | |`,
    `| Temporal persistence per transaction: workflow writes (create + update); largest operations | ${both((a) => `${a.costs.workflowWrites}; ${top(a.costs.persistenceRequests, 6)}`)} | |`,
    `| Temporal persistence latency, mean ms: UpdateWorkflowExecution / GetTransferTasks | ${both((a) => `${a.costs.persistenceLatencyMs.UpdateWorkflowExecution ?? '-'} / ${a.costs.persistenceLatencyMs.GetTransferTasks ?? '-'}`)} | |`,
    `| service database per transaction: statements by process (log); transactions (pg_stat_database) | ${both(statements)} | |`,
  ];
  const logged = report.arms.find((arm) => arm.costs.statements.topStatements.length);
  if (logged) {
    lines.push(
      '',
      `Statements per transaction, most frequent first (${logged.name}):`,
      '',
      '| application | per transaction | statement |',
      '| --- | --- | --- |',
    );
    for (const s of logged.costs.statements.topStatements)
      lines.push(`| ${s.application} | ${s.perTransaction} | \`${s.statement.replace(/\|/g, '\\|')}\` |`);
  }
  if (report.errors.length) lines.push('', `Errors: ${report.errors.join('; ')}`);
  return lines.join('\n');
}

runToolMain(main, '[till-probe] crashed:');
