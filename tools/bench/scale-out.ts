/**
 * `npm run bench:scale-out`: the flow on the production shape — the Temporal server on its own
 * PostgreSQL (sandbox/cluster) — with 1, 2 and 4 worker processes and 1 and 2 API processes.
 * For each combination, in one run on one cluster: the flow's closed-loop maximum (the bench's
 * ramp) and the CPU each role spent per transaction. On 2 cores the absolute figures are capped
 * by the machine; the shape of the curve and the cost per transaction are the result.
 *
 * The API processes are spread over by the load itself (round robin, as a load balancer would);
 * Zuz's webhooks go to the first. Workers and APIs beyond the first are started and stopped here,
 * as a deployment scales, with the service's own entry points (`node dist/...`).
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { connectClient } from '../../src/shared/temporal';
import { freePort } from '../../sandbox/dev-server';
import { ApiClient } from '../chaos/api-client';
import type { ClusterEngine } from '../chaos/engine';
import { ExitGuard } from '../chaos/exit-guard';
import { API_KEY } from '../chaos/service-env';
import { ServiceProcess } from '../chaos/service-process';
import { ChaosStack } from '../chaos/stack';
import { argsOrUsage, parseArgs, runToolMain } from '../cli-args';
import { BENCH_SERVICE_ENV, WEBHOOK_TIMEOUT_MS } from './bench-stack';
import { FlowClient } from './flow-client';
import { findMaximum, type RampResult } from './phases/ramp';
import { CpuMeter } from './process-stats';
import { FULL, QUICK, type Sizes } from './sizes';
import { round } from './summary-stats';
import { machineInfo, type MachineInfo } from './versions';
import { Workload } from './workload';

const READY_TIMEOUT_MS = 90_000;

const counts = (name: string) =>
  z
    .string()
    .regex(/^\d+(,\d+)*$/, `--${name} must be a comma-separated list of counts, e.g. 1,2,4`)
    .transform((list) => [...new Set(list.split(',').map(Number))].sort((a, b) => a - b))
    .refine((list) => list.every((n) => n >= 1 && n <= 8), `--${name}: each count must be 1..8`);

const argsSchema = z
  .object({
    /** Tiny windows and one concurrency level: proves the tool works, measures nothing. */
    quick: z.boolean().default(false),
    workers: counts('workers').default([1, 2, 4]),
    apis: counts('apis').default([1, 2]),
    report: z.string().min(1, '--report must be a file path').default('scale-out-report.json'),
  })
  .strict();

const USAGE = 'Usage: npm run bench:scale-out -- [--quick] [--workers 1,2,4] [--apis 1,2] [--report scale-out-report.json]';

type Role = 'workers' | 'api' | 'temporal' | 'postgres';

export interface ScaleOutPoint {
  workers: number;
  apis: number;
  maxPerSecond: number;
  bestConcurrency: number;
  p50Ms: number | null;
  failed: number;
  /** Transactions that finished during the whole ramp (the divisor of the CPU figures). */
  transactions: number;
  /** CPU milliseconds per transaction, by role, over the whole ramp. */
  cpuMsPerTransaction: Record<Role, number>;
  ramp: RampResult;
}

export interface ScaleOutReport {
  startedAt: string;
  command: string;
  machine: MachineInfo;
  engine: string;
  sizes: Pick<Sizes, 'closedLoopConcurrency' | 'closedLoopMs' | 'warmupMs'>;
  points: ScaleOutPoint[];
  durationSeconds: number;
}

/** Every process below `pid` (PostgreSQL's backends are children of its postmaster). */
function withDescendants(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = [pid];
  for (let i = 0; i < found.length; i++) for (const [child, parent] of parentOf) if (parent === found[i]) found.push(child);
  return found;
}

/** The extra worker and API processes, started and stopped to reach each combination. */
class Deployment {
  readonly extraWorkers: ServiceProcess[] = [];
  readonly extraApis: Array<{ process: ServiceProcess; url: string }> = [];

  constructor(
    private readonly stack: ChaosStack,
    private readonly logsDir: string,
  ) {}

  private onExit = (exit: { service: string; code: number | null; signal: string | null }) =>
    console.error(`[scale-out] ${exit.service} exited on its own (code ${exit.code}, signal ${exit.signal})`);

  async scaleTo(workers: number, apis: number): Promise<void> {
    while (this.extraWorkers.length < workers - 1) {
      const worker = new ServiceProcess(
        `worker-extra-${this.extraWorkers.length}`,
        path.resolve(__dirname, '..', '..', '..', 'dist', 'worker.js'),
        path.join(this.logsDir, `worker-extra-${this.extraWorkers.length}.log`),
        this.onExit,
      );
      this.extraWorkers.push(worker);
    }
    while (this.extraApis.length < apis - 1) {
      const port = await freePort();
      const name = `api-extra-${this.extraApis.length}`;
      const process = new ServiceProcess(
        name,
        path.resolve(__dirname, '..', '..', '..', 'dist', 'api', 'server.js'),
        path.join(this.logsDir, `${name}.log`),
        this.onExit,
      );
      this.extraApis.push({ process, url: `http://127.0.0.1:${port}` });
    }
    await Promise.all(
      this.extraWorkers.map(async (worker, i) => {
        if (i < workers - 1 && !worker.running) {
          await worker.start(async () => {
            const [health, metrics] = [await freePort(), await freePort()];
            return {
              env: { ...this.stack.baseEnv, WORKER_HEALTH_PORT: String(health), WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}` },
              readyUrl: `http://127.0.0.1:${health}/readyz`,
            };
          }, READY_TIMEOUT_MS);
        }
        if (i >= workers - 1) await worker.stop('SIGTERM');
      }),
    );
    await Promise.all(
      this.extraApis.map(async ({ process, url }, i) => {
        if (i < apis - 1 && !process.running) {
          await process.start(
            async () => ({
              env: { ...this.stack.baseEnv, API_PORT: new URL(url).port, API_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` },
              readyUrl: `${url}/readyz`,
            }),
            READY_TIMEOUT_MS,
          );
        }
        if (i >= apis - 1) await process.stop('SIGTERM');
      }),
    );
  }

  workerPids(): number[] {
    return [this.stack.workers[0].pid, ...this.extraWorkers.map((w) => (w.running ? w.pid : undefined))].filter(
      (pid): pid is number => pid !== undefined,
    );
  }

  apiPids(): number[] {
    return [this.stack.api.pid, ...this.extraApis.map(({ process }) => (process.running ? process.pid : undefined))].filter(
      (pid): pid is number => pid !== undefined,
    );
  }

  apiUrls(): string[] {
    return [this.stack.apiUrl, ...this.extraApis.filter(({ process }) => process.running).map(({ url }) => url)];
  }

  killNow(): void {
    for (const worker of this.extraWorkers) worker.killNow();
    for (const { process } of this.extraApis) process.killNow();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.extraWorkers, ...this.extraApis.map(({ process }) => process)].map((p) => p.stop('SIGTERM')));
  }
}

export function renderScaleOut(report: ScaleOutReport): string {
  const base = report.points.find((p) => p.workers === 1 && p.apis === 1) ?? report.points[0];
  const lines = [
    `Scale-out on ${report.engine}; ${report.machine.cpus} CPUs (${report.machine.cpuModel}), load at start ${report.machine.loadAverageAtStart}`,
    '',
    '| workers | APIs | max tx/s | vs 1+1 | at concurrency | p50 ms | failed | CPU ms/tx workers | CPU ms/tx API | CPU ms/tx Temporal | CPU ms/tx PostgreSQL | CPU ms/tx total |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.points.map((p) => {
      const c = p.cpuMsPerTransaction;
      const total = round(c.workers + c.api + c.temporal + c.postgres);
      const versus = base.maxPerSecond ? `${round(p.maxPerSecond / base.maxPerSecond, 2)}x` : '-';
      return `| ${p.workers} | ${p.apis} | ${p.maxPerSecond} | ${versus} | ${p.bestConcurrency} | ${p.p50Ms ?? '-'} | ${p.failed} | ${c.workers} | ${c.api} | ${c.temporal} | ${c.postgres} | ${total} |`;
    }),
  ];
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = argsOrUsage(
    (argv) => parseArgs(argv, argsSchema, { booleanFlags: new Set(['quick']), usage: USAGE }),
    process.argv.slice(2),
  );
  if (!args) return 2;
  const started = Date.now();
  const say = (message: string) => console.log(`[scale-out +${Math.round((Date.now() - started) / 1000)}s] ${message}`);
  const sizes = args.quick ? QUICK : { ...FULL, closedLoopConcurrency: [8, 24, 64] };
  const guard = new ExitGuard('scale-out');
  guard.install();
  const logsDir = mkdtempSync(path.join(tmpdir(), 'pos-scale-out-'));
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').trim();
  say(`load average at start: ${loadAtStart}; starting the cluster (logs in ${logsDir})`);

  let stack: ChaosStack | undefined;
  let deployment: Deployment | undefined;
  let failed = false;
  try {
    stack = await ChaosStack.start(
      { workers: 1, timeScale: 0.02, logsDir, engine: 'cluster', serviceEnv: BENCH_SERVICE_ENV, webhookTimeoutMs: WEBHOOK_TIMEOUT_MS },
      (kill) => guard.set('stack', kill),
    );
    const cluster = (stack.engine as ClusterEngine).cluster;
    deployment = new Deployment(stack, logsDir);
    const extras = deployment;
    guard.set('extras', () => extras.killNow());
    const client = await connectClient(stack.temporalConfig);
    const workload = new Workload(`scale${Date.now().toString(36)}`, sizes.customers);
    workload.seed(stack.pms);

    const points: ScaleOutPoint[] = [];
    for (const workers of args.workers) {
      for (const apis of args.apis) {
        await deployment.scaleTo(workers, apis);
        const flows = deployment.apiUrls().map((url) => new FlowClient(new ApiClient(url, API_KEY), client));
        let next = 0;
        let transactions = 0;
        const temporalPid = stack.temporalPid;
        const meter = new CpuMeter({
          workers: () => deployment!.workerPids(),
          api: () => deployment!.apiPids(),
          temporal: () => (temporalPid ? [temporalPid] : []),
          postgres: () => withDescendants(cluster.pids()['PostgreSQL']),
        });
        meter.start();
        const ramp = await findMaximum(
          sizes,
          async () => {
            await flows[next++ % flows.length].run(workload.transaction('pending-approved', 'auto', `w${workers}a${apis}`));
            transactions++;
          },
          say,
          `${workers} worker(s), ${apis} API(s)`,
        );
        const cpu = meter.stop();
        const perTransaction = (role: Role) => round(((cpu[role] ?? 0) * 1000) / Math.max(1, transactions));
        const best = ramp.points.find((point) => point.concurrency === ramp.bestConcurrency)!;
        points.push({
          workers,
          apis,
          maxPerSecond: ramp.maxPerSecond,
          bestConcurrency: ramp.bestConcurrency,
          p50Ms: best.latencyMs.p50,
          failed: ramp.points.reduce((sum, point) => sum + point.failed, 0),
          transactions,
          cpuMsPerTransaction: {
            workers: perTransaction('workers'),
            api: perTransaction('api'),
            temporal: perTransaction('temporal'),
            postgres: perTransaction('postgres'),
          },
          ramp,
        });
      }
    }
    await client.connection.close();
    const report: ScaleOutReport = {
      startedAt: new Date(started).toISOString(),
      command: `node build/tools/bench/scale-out.js ${process.argv.slice(2).join(' ')}`.trim(),
      machine: { ...machineInfo('', "the cluster's private PostgreSQL"), loadAverageAtStart: loadAtStart },
      engine: stack.engine.description,
      sizes: { closedLoopConcurrency: sizes.closedLoopConcurrency, closedLoopMs: sizes.closedLoopMs, warmupMs: sizes.warmupMs },
      points,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    writeFileSync(path.resolve(args.report), JSON.stringify(report, null, 2));
    console.log(`\n${renderScaleOut(report)}\n\nreport: ${path.resolve(args.report)}`);
    failed = points.some((point) => point.failed > 0 || point.transactions === 0);
    if (failed) console.error('[scale-out] some transactions failed or none finished: see the table and the logs');
  } catch (err) {
    failed = true;
    console.error('[scale-out] failed:', err);
  } finally {
    await deployment?.stop().catch(() => undefined);
    await guard.stopGracefully(stack);
    if (!failed) rmSync(logsDir, { recursive: true, force: true });
    else console.error(`[scale-out] logs kept in ${logsDir}`);
  }
  return failed ? 1 : 0;
}

if (require.main === module) {
  runToolMain(main);
}
