/**
 * The real stack on loopback, on free ports: a Temporal (`engine`: the dev server, a child
 * process whose history lives in a file so that it survives a restart, or the production-shape
 * cluster, the Temporal server on its own PostgreSQL), the Zuz and PMS simulators in this
 * process (so the run can set faults and read the ledger), a PostgreSQL, N worker processes
 * and one API process. It also knows how to break and mend each part.
 */
import path from 'node:path';
import { loadTemporalConfig, type TemporalConfig } from '../../src/shared/config';
import { freePort } from '../../sandbox/dev-server';
import { startPmsSimulator, type PmsSimulator } from '../../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../../sandbox/simulators/zuz';
import { ClusterEngine, DevServerEngine, type EngineKind, type TemporalEngine } from './engine';
import type { KillSignal } from './fault-schedule';
import { ensurePostgres, type ChaosPostgres } from './postgres';
import { sleep } from './sleep';
import { PMS_API_KEY, serviceEnvironment, ZUZ_CREDENTIALS } from './service-env';
import { ServiceProcess, type ProcessExit } from './service-process';

const READY_TIMEOUT_MS = 90_000;

export interface StackOptions {
  workers: number;
  timeScale: number;
  logsDir: string;
  /** The Temporal to run on; default the dev server. */
  engine?: EngineKind;
  /** Set on top of the worker and API processes' environment (the benchmark's flow waits and levers). */
  serviceEnv?: NodeJS.ProcessEnv;
  /** Dev server only: keep Temporal's history in memory instead of a file (nothing can restart the server then). Default: a file. */
  historyInMemory?: boolean;
  /** Real milliseconds Zuz waits for a webhook answer; default: its 5 s, scaled by `timeScale`. */
  webhookTimeoutMs?: number;
  /** The service's build to run; default the repository's dist/ (the till probe runs a copy with the flow before a patch). */
  dist?: string;
}

export class ChaosStack {
  /** Every exit of a worker or the API that no fault asked for (the report lists them). */
  readonly processExits: ProcessExit[] = [];
  private stopping = false;
  /** Set on top of `baseEnv` for the workers only (a lever under measurement). */
  private workerEnv: NodeJS.ProcessEnv = {};
  /** One chain per part: a fault and a supervisor restart of the same part never overlap. */
  private readonly chains = new Map<string, Promise<unknown>>();

  private constructor(
    readonly postgres: ChaosPostgres,
    readonly engine: TemporalEngine,
    readonly zuz: ZuzSimulator,
    readonly pms: PmsSimulator,
    readonly apiUrl: string,
    /** What the worker and API processes are started with: the stack's addresses, credentials, flow waits. */
    readonly baseEnv: NodeJS.ProcessEnv,
    readonly workers: ServiceProcess[],
    readonly api: ServiceProcess,
  ) {}

  /**
   * Starts everything. `setKiller` always holds what kills the parts started so far, so that a
   * failed start or a Ctrl-C in the middle still leaves nothing behind.
   */
  static async start(options: StackOptions, setKiller: (killNow: () => void) => void): Promise<ChaosStack> {
    const parts: Array<() => void> = [];
    setKiller(() => parts.forEach((kill) => kill()));

    let postgres: ChaosPostgres;
    let temporal: TemporalEngine;
    if (options.engine === 'cluster') {
      // The cluster's PostgreSQL (started for the run) also holds the service's database, unless DATABASE_URL is set.
      let killCluster: () => void = () => undefined;
      parts.push(() => killCluster());
      const cluster = await ClusterEngine.start(options, (kill) => (killCluster = kill));
      temporal = cluster;
      postgres = process.env.DATABASE_URL
        ? await ensurePostgres()
        : { url: await cluster.cluster.createDatabase('pos'), owned: true, stopNow: () => undefined };
    } else {
      postgres = await ensurePostgres();
      parts.push(() => postgres.stopNow());
      temporal = await DevServerEngine.start(options);
      parts.push(() => temporal.killNow());
    }
    const zuz = await startZuzSimulator({ ...ZUZ_CREDENTIALS, timeScale: options.timeScale, webhookTimeoutMs: options.webhookTimeoutMs });
    const pms = await startPmsSimulator({ apiKey: PMS_API_KEY });
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);

    const baseEnv = {
      ...serviceEnvironment({ temporalAddress: temporal.address, databaseUrl: postgres.url, zuzUrl: zuz.url, pmsUrl: pms.url, apiPort }),
      ...options.serviceEnv,
    };
    // The service's production build (npm run build): this tool runs from build/tools/chaos.
    const dist = options.dist ?? path.resolve(__dirname, '..', '..', '..', 'dist');
    let stack: ChaosStack | undefined;
    const onExit = (exit: ProcessExit) => stack?.superviseExit(exit);
    const workers = Array.from(
      { length: options.workers },
      (_, i) => new ServiceProcess(`worker-${i}`, path.join(dist, 'worker.js'), path.join(options.logsDir, `worker-${i}.log`), onExit),
    );
    const api = new ServiceProcess('api', path.join(dist, 'api', 'server.js'), path.join(options.logsDir, 'api.log'), onExit);
    stack = new ChaosStack(postgres, temporal, zuz, pms, apiUrl, baseEnv, workers, api);
    setKiller(() => stack.killAllNow()); // from here on the stack kills its own parts

    await Promise.all([...workers.map((_, i) => stack.startWorker(i)), stack.startApi()]);
    return stack;
  }

  get temporalAddress(): string {
    return this.engine.address;
  }

  /** The Temporal connection the service processes use, payload keys included: for the run's own clients. */
  get temporalConfig(): TemporalConfig {
    return loadTemporalConfig({ ...this.baseEnv, TEMPORAL_ADDRESS: this.engine.address });
  }

  get temporalPid(): number | undefined {
    return this.engine.pid;
  }

  /** Stops every worker and starts it again with `env` on top of the base environment. */
  async restartWorkers(env: NodeJS.ProcessEnv): Promise<void> {
    this.workerEnv = env;
    await Promise.all(
      this.workers.map((worker, index) =>
        this.serialize(worker.name, async () => {
          await worker.stop('SIGTERM');
          await this.startWorker(index);
        }),
      ),
    );
  }

  /** Runs `work` on one part after whatever is already under way on it. */
  private serialize<T>(part: string, work: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(part) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(part, next);
    return next;
  }

  /** Each start gets fresh health and metrics ports: a port the killed one held may linger. */
  private startWorker(index: number): Promise<void> {
    return this.workers[index].start(async () => {
      const [healthPort, metricsPort] = [await freePort(), await freePort()];
      return {
        env: {
          ...this.baseEnv,
          ...this.workerEnv,
          WORKER_HEALTH_PORT: String(healthPort),
          WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        },
        readyUrl: `http://127.0.0.1:${healthPort}/readyz`,
      };
    }, READY_TIMEOUT_MS);
  }

  private startApi(): Promise<void> {
    return this.api.start(() => ({ env: this.baseEnv, readyUrl: `${this.apiUrl}/readyz` }), READY_TIMEOUT_MS);
  }

  /** `onBegin` is called when the kill actually happens (after any earlier work on that worker). */
  killWorker(index: number, downMs: number, onBegin: () => void): Promise<{ pid?: number }> {
    return this.serialize(this.workers[index].name, async () => {
      onBegin();
      const pid = this.workers[index].pid;
      await this.workers[index].stop('SIGKILL');
      await sleep(downMs);
      await this.startWorker(index);
      return { pid, restartedPid: this.workers[index].pid };
    });
  }

  restartTemporal(signal: KillSignal, downMs: number, onBegin: () => void): Promise<{ pid?: number }> {
    return this.serialize('temporal', async () => {
      onBegin();
      return this.engine.restart(signal, downMs);
    });
  }

  restartApi(signal: KillSignal, downMs: number, onBegin: () => void): Promise<{ pid?: number }> {
    return this.serialize(this.api.name, async () => {
      onBegin();
      const pid = this.api.pid;
      await this.api.stop(signal);
      await sleep(downMs);
      await this.startApi();
      return { pid, restartedPid: this.api.pid };
    });
  }

  /**
   * Every exit nobody asked for is recorded. One that gave up while starting is started again by
   * its starter; one that died while running is restarted here, as a supervisor would.
   */
  private superviseExit(exit: ProcessExit): void {
    this.processExits.push(exit);
    console.error(
      `[chaos] ${exit.service} (pid ${exit.pid}) exited on its own while ${exit.phase} (code ${exit.code}, signal ${exit.signal})`,
    );
    if (exit.phase !== 'running' || this.stopping) return;
    const index = this.workers.findIndex((w) => w.name === exit.service);
    this.serialize(exit.service, async () => {
      await sleep(1000);
      if (this.stopping) return;
      await (index >= 0 ? this.startWorker(index) : this.startApi());
    }).catch((err) => console.error(`[chaos] could not restart ${exit.service}: ${(err as Error).message}`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.api.stop('SIGTERM'), ...this.workers.map((w) => w.stop('SIGTERM'))]);
    await this.engine.stop();
    await Promise.all([this.zuz.close(), this.pms.close()]);
    this.postgres.stopNow();
  }

  /** For exit paths (Ctrl-C, a crash): no orphan may survive this process. */
  killAllNow(): void {
    this.stopping = true;
    this.api.killNow();
    for (const worker of this.workers) worker.killNow();
    this.engine.killNow();
    this.postgres.stopNow();
  }
}
