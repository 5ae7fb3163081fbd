/**
 * The two sides of the till probe (till-probe.ts) and its yardstick. Each side ("arm") is the
 * real stack — Temporal, worker, API, PostgreSQL, the Zuz and PMS simulators — with one Temporal
 * server setting, eager activity dispatch (`system.enableActivityEagerExecution`), off or on:
 *
 * - dev server: two stacks side by side, each its own dev server (started with the setting,
 *   sandbox/dev-server.ts), worker, API, PostgreSQL and simulators, used in turns;
 * - cluster: one stack whose server reads a copy of sandbox/cluster/dynamic-config.yaml that is
 *   rewritten when the turn passes to the other arm (the server re-reads it every 10 s); a turn
 *   starts once a transaction's history shows the setting in force (see untilInForce).
 *
 * The yardstick ("direct"): the same provider calls the flow makes before the till's decision and
 * before its end — the real activity functions on Zuz and PMS (their own simulators), no Temporal,
 * no database.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createZuzActivities } from '../../src/zuz/activities';
import { loadProvidersConfig } from '../../src/shared/config';
import { workflowIdFor, type TransactionRequest, type ZuzOperationResult } from '../../src/transaction/model';
import { PmsClient } from '../../src/pms';
import { connectClient } from '../../src/shared/temporal';
import { ZuzClient } from '../../src/zuz';
import { freePort } from '../../sandbox/dev-server';
import { startPmsSimulator, type PmsSimulator } from '../../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../../sandbox/simulators/zuz';
import { ApiClient } from '../chaos/api-client';
import type { ClusterEngine, EngineKind } from '../chaos/engine';
import type { ExitGuard } from '../chaos/exit-guard';
import { API_KEY, PMS_API_KEY, ZUZ_CREDENTIALS } from '../chaos/service-env';
import { sleep } from '../chaos/sleep';
import { ChaosStack } from '../chaos/stack';
import { BENCH_SERVICE_ENV, WEBHOOK_TIMEOUT_MS } from './bench-stack';
import { FlowClient } from './flow-client';
import { taskCounts } from './histories';
import { readProcessTable, treeCpuSeconds } from './process-stats';
import { WebhookInbox } from './webhook-inbox';
import { bundleWithGuards, codeBefore } from '../patches';
import { Workload } from './workload';

const REPO = path.resolve(__dirname, '..', '..', '..');
const EAGER_KEY = 'system.enableActivityEagerExecution';
const SWITCH_TIMEOUT_MS = 60_000;
/** Scheduled -> started below this (ms, server clock) in a history: the activity was dispatched eagerly. */
export const EAGER_START_MS = 0.5;

export type Role = 'workers' | 'api' | 'temporal' | 'postgres';
export const ROLES: readonly Role[] = ['workers', 'api', 'temporal', 'postgres'];

export interface ArmOptions {
  engine: EngineKind;
  workers: number;
  timeScale: number;
  customers: number;
  logsDir: string;
}

/** The workers' and the API's application_name in PostgreSQL: the statement count splits by it. */
export const APPLICATION = { api: 'pos-api', worker: 'pos-worker' } as const;

/** One side of the comparison: a stack to send transactions to, and what to read its costs from. */
export class Arm {
  constructor(
    readonly name: string,
    /** The arm with the setting on (eager dispatch; with TILL_PROBE_DEV_SETTING, that setting). */
    readonly eager: boolean,
    readonly stack: ChaosStack,
    readonly client: Client,
    readonly flow: FlowClient,
    readonly workload: Workload,
    /** The Temporal server's Prometheus endpoint. */
    readonly metricsUrl: string,
    readonly databaseUrl: string,
    private readonly postgresPid: () => number | undefined,
    /** The service database's PostgreSQL log (dev server only: its own PostgreSQL). */
    readonly postgresLog: string | undefined,
    /** Puts the setting of this arm in force (the cluster's shared server); resolves once it is. */
    readonly activate: () => Promise<void>,
  ) {}

  /** CPU seconds each role has used so far (one reading of /proc for all). */
  cpu(): Record<Role, number> {
    const table = readProcessTable();
    return {
      workers: this.stack.workers.reduce((sum, worker) => sum + treeCpuSeconds(worker.pid, table), 0),
      api: treeCpuSeconds(this.stack.api.pid, table),
      temporal: treeCpuSeconds(this.stack.temporalPid, table),
      postgres: treeCpuSeconds(this.postgresPid(), table),
    };
  }

  /** Every series of the Temporal server's Prometheus endpoint, by its name and labels. */
  async serverMetrics(): Promise<Map<string, number>> {
    return parseMetrics(await (await fetch(this.metricsUrl)).text());
  }
}

export function parseMetrics(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)) || 0);
  }
  return series;
}

/** How much the counter `name` grew between two readings, by the values of `labels` (joined by "/"). */
export function grownBy(before: Map<string, number>, after: Map<string, number>, name: string, labels: string[]): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [key, value] of after) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    const labelValue = labels.map((label) => new RegExp(`[{,]${label}="([^"]*)"`).exec(key)?.[1] ?? '').join('/');
    const delta = value - (before.get(key) ?? 0);
    if (delta) grown[labelValue] = (grown[labelValue] ?? 0) + delta;
  }
  return grown;
}

/** Both arms, eager dispatch off then on. Every process started is registered with `guard`. */
export async function startArms(options: ArmOptions, guard: ExitGuard, say: (line: string) => void): Promise<Arm[]> {
  return options.engine === 'cluster' ? startClusterArms(options, guard, say) : startDevArms(options, guard, say);
}

/**
 * Two stacks side by side, each with its own dev server (the setting), PostgreSQL and simulators.
 * `TILL_PROBE_DEV_SETTING=search-attribute-cache`: the arms differ in the dev server's
 * search-attribute cache instead (off / on), eager dispatch on in both.
 */
async function startDevArms(options: ArmOptions, guard: ExitGuard, say: (line: string) => void): Promise<Arm[]> {
  const arms: Arm[] = [];
  const cacheArms = process.env.TILL_PROBE_DEV_SETTING === 'search-attribute-cache';
  const flowPatch = process.env.TILL_PROBE_DEV_SETTING?.startsWith('flow:') ? process.env.TILL_PROBE_DEV_SETTING.slice(5) : undefined;
  const setting = cacheArms ? 'search-attribute cache' : flowPatch ? `patch ${flowPatch}` : 'eager dispatch';
  for (const eager of [false, true]) {
    const label = eager ? 'on' : 'off';
    const dist = flowPatch && !eager ? await distWithFlowBefore(flowPatch) : undefined;
    const postgres = await startPostgres(label);
    guard.set(`postgres-${label}`, postgres.stopNow);
    const metricsPort = await freePort();
    // The stack's parts read these when they start (ChaosStack: DATABASE_URL; sandbox/dev-server.ts: the rest).
    const stack = await withEnv(
      {
        DATABASE_URL: postgres.url,
        ...(cacheArms
          ? { DEV_SERVER_ACTIVITY_EAGER_EXECUTION: 'true', DEV_SERVER_SEARCH_ATTRIBUTE_CACHE: label }
          : { DEV_SERVER_ACTIVITY_EAGER_EXECUTION: String(eager || flowPatch !== undefined) }),
        DEV_SERVER_METRICS_PORT: String(metricsPort),
        PGAPPNAME: APPLICATION.api,
      },
      () =>
        startWithRetries(say, `stack-${label}`, guard, (setKiller) =>
          ChaosStack.start(
            {
              engine: 'dev',
              workers: options.workers,
              timeScale: options.timeScale,
              logsDir: path.join(options.logsDir, label),
              historyInMemory: true,
              serviceEnv: BENCH_SERVICE_ENV,
              webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
              dist,
            },
            setKiller,
          ),
        ),
    );
    await stack.restartWorkers({ PGAPPNAME: APPLICATION.worker });
    const arm = await armOver(stack, `${setting} ${label}`, eager, options, {
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      databaseUrl: postgres.url,
      postgresPid: postgres.pid,
      postgresLog: postgres.logFile,
      activate: () => Promise.resolve(),
    });
    say(`stack with ${setting} ${label} up: Temporal ${stack.temporalAddress}, API ${stack.apiUrl}`);
    arms.push(arm);
  }
  return arms;
}

/**
 * A copy of the service's build (dist/) whose workflow bundle has the flow as it was before
 * `patchId` (that patch and every later one on their old side: tools/patches.ts), under the
 * project's node_modules so its imports resolve: the "off" arm of `TILL_PROBE_DEV_SETTING=flow:<patch>`
 * (eager dispatch on in both arms). Removed when the probe exits.
 */
async function distWithFlowBefore(patchId: string): Promise<string> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const cache = path.join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const copy = mkdtempSync(path.join(cache, 'till-probe-dist-'));
  cpSync(path.join(root, 'dist'), copy, { recursive: true });
  const { code } = await bundleWithGuards(codeBefore(patchId), root);
  writeFileSync(path.join(copy, 'workflow-bundle.js'), code);
  process.once('exit', () => rmSync(copy, { recursive: true, force: true }));
  return copy;
}

/** One cluster, its dynamic config switched between the arms' turns. */
async function startClusterArms(options: ArmOptions, guard: ExitGuard, say: (line: string) => void): Promise<Arm[]> {
  const config = new DynamicConfigFile(path.join(options.logsDir, 'dynamic-config.yaml'));
  config.write(false);
  const stack = await withEnv({ POS_TEMPORAL_DYNAMIC_CONFIG: config.file, PGAPPNAME: APPLICATION.api }, () =>
    startWithRetries(say, 'stack', guard, (setKiller) =>
      ChaosStack.start(
        {
          engine: 'cluster',
          workers: options.workers,
          timeScale: options.timeScale,
          logsDir: options.logsDir,
          serviceEnv: BENCH_SERVICE_ENV,
          webhookTimeoutMs: WEBHOOK_TIMEOUT_MS,
        },
        setKiller,
      ),
    ),
  );
  await stack.restartWorkers({ PGAPPNAME: APPLICATION.worker });
  const cluster = (stack.engine as ClusterEngine).cluster;
  say(`cluster up: Temporal ${stack.temporalAddress}; its dynamic config: ${config.file}`);
  let shared: { client: Client; flow: FlowClient; workload: Workload } | undefined;
  const arms: Arm[] = [];
  for (const eager of [false, true]) {
    const arm: Arm = await armOver(
      stack,
      `eager dispatch ${eager ? 'on' : 'off'}`,
      eager,
      options,
      {
        metricsUrl: cluster.temporalMetricsUrl,
        databaseUrl: stack.postgres.url,
        postgresPid: () => cluster.pids()['PostgreSQL'],
        postgresLog: undefined,
        activate: async () => {
          if (config.eager === eager) return;
          config.write(eager);
          await untilInForce(arm, eager, say);
        },
      },
      shared,
    );
    shared ??= { client: arm.client, flow: arm.flow, workload: arm.workload };
    arms.push(arm);
  }
  return arms;
}

async function armOver(
  stack: ChaosStack,
  name: string,
  eager: boolean,
  options: ArmOptions,
  parts: Pick<Arm, 'metricsUrl' | 'databaseUrl' | 'postgresLog' | 'activate'> & { postgresPid: () => number | undefined },
  shared?: { client: Client; flow: FlowClient; workload: Workload },
): Promise<Arm> {
  const client = shared?.client ?? (await connectClient(stack.temporalConfig));
  const flow = shared?.flow ?? new FlowClient(new ApiClient(stack.apiUrl, API_KEY), client);
  let workload = shared?.workload;
  if (!workload) {
    workload = new Workload(`${Date.now().toString(36)}${eager ? 'e' : 'n'}`, options.customers);
    workload.seed(stack.pms);
  }
  return new Arm(
    name,
    eager,
    stack,
    client,
    flow,
    workload,
    parts.metricsUrl,
    parts.databaseUrl,
    parts.postgresPid,
    parts.postgresLog,
    parts.activate,
  );
}

/**
 * Sends transactions (not measured) until one shows the setting in force: with eager dispatch an
 * activity is started in the same write as the workflow task that scheduled it (0 ms apart in
 * its history), through matching it is not. The server's counter would say it too, but it is
 * published only every few seconds.
 */
async function untilInForce(arm: Arm, eager: boolean, say: (line: string) => void): Promise<void> {
  const giveUpAt = Date.now() + SWITCH_TIMEOUT_MS;
  for (let probes = 1; ; probes++) {
    const request = arm.workload.transaction('approved', 'auto', 'switch');
    await arm.flow.run(request);
    const history = await arm.client.workflow.getHandle(workflowIdFor(request.transactionId)).fetchHistory();
    const startedAtOnce = taskCounts(history.events ?? []).activityScheduleToStartMs.some((ms) => ms < EAGER_START_MS);
    if (startedAtOnce === eager) {
      say(`eager dispatch ${eager ? 'on' : 'off'} in force after ${probes} probe transaction(s)`);
      return;
    }
    if (Date.now() > giveUpAt) throw new Error(`the server did not take ${EAGER_KEY}=${eager} within ${SWITCH_TIMEOUT_MS / 1000} s`);
    await sleep(1000);
  }
}

/** A copy of the cluster's dynamic config with the eager setting as asked. */
class DynamicConfigFile {
  eager: boolean | undefined;
  private readonly base: Record<string, unknown>;

  constructor(readonly file: string) {
    const { [EAGER_KEY]: _ours, ...rest } = parseYaml(
      readFileSync(path.join(REPO, 'sandbox', 'cluster', 'dynamic-config.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    this.base = rest;
  }

  write(eager: boolean): void {
    writeFileSync(this.file, stringifyYaml({ ...this.base, [EAGER_KEY]: [{ value: eager }] }));
    this.eager = eager;
  }
}

const START_ATTEMPTS = 3;

/**
 * Starts a stack, again (after killing what the failed attempt started) if a part was not ready in
 * time: on a machine shared with other work a worker may need longer than the stack's 90 s.
 */
async function startWithRetries(
  say: (line: string) => void,
  name: string,
  guard: ExitGuard,
  start: (setKiller: (kill: () => void) => void) => Promise<ChaosStack>,
): Promise<ChaosStack> {
  for (let attempt = 1; ; attempt++) {
    let killNow: () => void = () => undefined;
    try {
      return await start((kill) => {
        killNow = kill;
        guard.set(name, kill);
      });
    } catch (err) {
      killNow();
      if (attempt >= START_ATTEMPTS) throw err;
      say(`${name}: start failed (${(err as Error).message}); again (${attempt + 1} of ${START_ATTEMPTS})`);
      await sleep(5000);
    }
  }
}

/** Sets `vars` in this process's environment while `start` runs (the stack's parts read it as they start). */
async function withEnv<T>(vars: Record<string, string>, start: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await start();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

interface OwnPostgres {
  url: string;
  logFile: string;
  pid: () => number | undefined;
  stopNow: () => void;
}

/** A throwaway PostgreSQL of its own (scripts/start-postgres.sh on a free port and folder). */
async function startPostgres(label: string): Promise<OwnPostgres> {
  const script = path.join(REPO, 'scripts', 'start-postgres.sh');
  const dataDir = `/tmp/pos-till-probe-${process.pid}-${label}`;
  const env = { ...process.env, PGPORT_TEST: String(await freePort()), PGDATA_TEST: dataDir };
  const url = execFileSync('bash', [script], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .trim()
    .split('\n')
    .pop()!;
  let stopped = false;
  return {
    url,
    logFile: path.join(dataDir, 'server.log'),
    pid: () => {
      try {
        return Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined;
      } catch {
        return undefined;
      }
    },
    stopNow: () => {
      if (stopped) return;
      stopped = true;
      spawnSync('bash', [script, 'stop'], { env, stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The provider calls alone, timed as the till would wait on them. */
export class DirectCalls {
  private constructor(
    private readonly zuz: ZuzSimulator,
    private readonly pms: PmsSimulator,
    private readonly inbox: WebhookInbox,
    private readonly calls: ReturnType<typeof createZuzActivities>,
    readonly workload: Workload,
  ) {}

  static async start(options: Pick<ArmOptions, 'timeScale' | 'customers'>): Promise<DirectCalls> {
    const zuz = await startZuzSimulator({ ...ZUZ_CREDENTIALS, timeScale: options.timeScale, webhookTimeoutMs: WEBHOOK_TIMEOUT_MS });
    const pms = await startPmsSimulator({ apiKey: PMS_API_KEY });
    const inbox = await WebhookInbox.start(ZUZ_CREDENTIALS.privateKey);
    zuz.setWebhookUrl(inbox.url);
    const providers = loadProvidersConfig({
      ...process.env,
      POS_SANDBOX: 'true',
      ZUZ_BASE_URL: zuz.url,
      ZUZ_APP_ID: ZUZ_CREDENTIALS.appId,
      ZUZ_PRIVATE_KEY: ZUZ_CREDENTIALS.privateKey,
      ZUZ_ENV: 'test',
      PMS_BASE_URL: pms.url,
      PMS_API_KEY,
    });
    const workload = new Workload(`${Date.now().toString(36)}d`, options.customers);
    workload.seed(pms);
    return new DirectCalls(zuz, pms, inbox, createZuzActivities(new ZuzClient(providers.zuz), new PmsClient(providers.pms)), workload);
  }

  /** createPayment, createAuthorization (and its webhook if pending): the decision; then the capture (and its webhook): the end. */
  async run(request: TransactionRequest): Promise<{ decisionMs: number; terminalMs: number }> {
    const { transactionId, customerId, paymentMethodId, amount, currency } = request;
    const startedAt = performance.now();
    const { paymentId } = await this.calls.createPayment({ transactionId, customerId, amount, currency });
    const created = await this.calls.createAuthorization({ transactionId, customerId, paymentMethodId, amount, currency, paymentId });
    const authorization = await this.final(paymentId, created.authorization);
    const decisionMs = performance.now() - startedAt;
    if (authorization.status !== 'Succeed') throw new Error(`${transactionId}: authorization ${authorization.status}`);
    const capture = await this.final(
      paymentId,
      await this.calls.capturePayment({ transactionId, paymentId, amount: authorization.amount }),
    );
    if (capture.status !== 'Succeed') throw new Error(`${transactionId}: capture ${capture.status}`);
    return { decisionMs, terminalMs: performance.now() - startedAt };
  }

  private final(paymentId: string, answer: ZuzOperationResult): Promise<ZuzOperationResult> {
    return answer.status === 'Pending' ? this.inbox.final(paymentId, answer.kind) : Promise.resolve(answer);
  }

  async close(): Promise<void> {
    await Promise.all([this.zuz.close(), this.pms.close(), this.inbox.close()]);
  }
}
