/**
 * The real stack on loopback, on free ports: the Temporal dev server (a child process whose
 * history lives in a file, so it survives a restart), the Zuz and PMS simulators in this
 * process (so the run can set faults and read the ledger), a PostgreSQL, N worker processes
 * and one API process. It also knows how to break and mend each part.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { loadDevConfig } from '../../config';
import { freePort, startDevServer, type DevServer, type DevServerOptions } from '../../infrastructure/dev-server';
import { startPmsSimulator, type PmsSimulator } from '../../simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../../simulators/zuz';
import type { KillSignal } from './fault-schedule';
import { ensurePostgres, type ChaosPostgres } from './postgres';
import { sleep, waitUntilReady } from './readiness';
import { ServiceProcess, type UnexpectedExit } from './service-process';

export const API_KEY = 'chaos-api-key-0123456789';
const ZUZ = { appId: 'chaos-app', privateKey: 'chaos-zuz-private-key' };
const PMS_API_KEY = 'chaos-pms-key';
const READY_TIMEOUT_MS = 90_000;

/** The flow's waits, shortened so that every kind ends in seconds (the API passes them to each transaction). */
export const FLOW_ENV = {
  FLOW_WEBHOOK_GRACE_PERIOD: '2s',
  FLOW_POLL_INITIAL_INTERVAL: '500ms',
  FLOW_POLL_MAX_INTERVAL: '2s',
  FLOW_AUTHORIZATION_DEADLINE: '2m',
  FLOW_CAPTURE_DEADLINE: '2m',
  FLOW_AUTHORIZATION_EXPIRY: '20s',
};
export const AUTHORIZATION_EXPIRY_MS = 20_000;

export interface StackOptions {
  workers: number;
  timeScale: number;
  logsDir: string;
}

export class ChaosStack {
  readonly unexpectedExits: UnexpectedExit[] = [];
  private stopping = false;
  private workerHealthUrls: string[] = [];

  private constructor(
    readonly postgres: ChaosPostgres,
    private temporal: DevServer,
    private readonly temporalOptions: DevServerOptions,
    readonly zuz: ZuzSimulator,
    readonly pms: PmsSimulator,
    readonly apiUrl: string,
    private readonly baseEnv: NodeJS.ProcessEnv,
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

    const postgres = await ensurePostgres();
    parts.push(() => postgres.stopNow());
    const temporalOptions: DevServerOptions = {
      cli: loadDevConfig(process.env).temporalCli,
      port: await freePort(), // fixed from now on: a restart comes back on the same address
      dbFile: path.join(options.logsDir, 'temporal.sqlite'),
      logFile: path.join(options.logsDir, 'temporal.log'),
    };
    const temporal = await startDevServer(temporalOptions);
    parts.push(() => temporal.process.kill('SIGKILL'));
    const zuz = await startZuzSimulator({ ...ZUZ, timeScale: options.timeScale });
    const pms = await startPmsSimulator({ apiKey: PMS_API_KEY });
    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);

    const baseEnv: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_OPTIONS: '',
      LOG_LEVEL: 'warn',
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
      TEMPORAL_API_KEY: '',
      TEMPORAL_TLS: 'false',
      TEMPORAL_TLS_CERT: '',
      TEMPORAL_TLS_KEY: '',
      OTEL_TRACES_EXPORTER: 'none',
      DATABASE_URL: postgres.url,
      ZUZ_BASE_URL: zuz.url,
      ZUZ_APP_ID: ZUZ.appId,
      ZUZ_PRIVATE_KEY: ZUZ.privateKey,
      ZUZ_ENV: 'test',
      PMS_BASE_URL: pms.url,
      PMS_API_KEY,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS: API_KEY,
      // Every chaos transaction is cus_demo's: risk screening must never be what declines one.
      RISK_MAX_TRANSACTIONS_PER_HOUR: '1000000000',
      RISK_MAX_AMOUNT_PER_DAY: '1000000000000',
      WORKER_SHUTDOWN_GRACE_SECONDS: '2',
      ...FLOW_ENV,
    };
    const dist = path.resolve(__dirname, '..', '..');
    let stack: ChaosStack | undefined;
    const onExit = (exit: UnexpectedExit) => stack?.superviseUnexpectedExit(exit);
    const workers = Array.from(
      { length: options.workers },
      (_, i) => new ServiceProcess(`worker-${i}`, path.join(dist, 'worker.js'), path.join(options.logsDir, `worker-${i}.log`), onExit),
    );
    const api = new ServiceProcess('api', path.join(dist, 'api', 'server.js'), path.join(options.logsDir, 'api.log'), onExit);
    stack = new ChaosStack(postgres, temporal, temporalOptions, zuz, pms, apiUrl, baseEnv, workers, api);
    setKiller(() => stack!.killAllNow()); // from here on the stack kills its own parts

    await Promise.all([...workers.map((_, i) => stack!.startWorker(i)), stack.startApi()]);
    return stack;
  }

  get temporalAddress(): string {
    return this.temporal.address;
  }

  get temporalPid(): number | undefined {
    return this.temporal.process.pid;
  }

  /** Each start gets fresh health and metrics ports: a port the killed one held may linger. */
  async startWorker(index: number): Promise<void> {
    const [healthPort, metricsPort] = [await freePort(), await freePort()];
    this.workerHealthUrls[index] = `http://127.0.0.1:${healthPort}/readyz`;
    const worker = this.workers[index];
    worker.start({ ...this.baseEnv, WORKER_HEALTH_PORT: String(healthPort), WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` });
    await waitUntilReady(this.workerHealthUrls[index], READY_TIMEOUT_MS, () => worker.running);
  }

  async startApi(): Promise<void> {
    this.api.start(this.baseEnv);
    await waitUntilReady(`${this.apiUrl}/readyz`, READY_TIMEOUT_MS, () => this.api.running);
  }

  async killWorker(index: number, downMs: number): Promise<{ pid?: number }> {
    const pid = this.workers[index].pid;
    await this.workers[index].stop('SIGKILL');
    await sleep(downMs);
    await this.startWorker(index);
    return { pid };
  }

  async restartTemporal(signal: 'SIGTERM' | 'SIGKILL', downMs: number): Promise<{ pid?: number }> {
    const pid = this.temporal.process.pid;
    if (signal === 'SIGTERM') {
      await this.temporal.stop();
    } else {
      const exited = new Promise((resolve) => this.temporal.process.once('exit', resolve));
      this.temporal.process.kill('SIGKILL');
      await exited;
    }
    await sleep(downMs);
    this.temporal = await startDevServer(this.temporalOptions);
    return { pid };
  }

  async restartApi(signal: KillSignal, downMs: number): Promise<{ pid?: number }> {
    const pid = this.api.pid;
    await this.api.stop(signal);
    await sleep(downMs);
    await this.startApi();
    return { pid };
  }

  /** A process that died on its own is recorded (the report lists it) and restarted, as a supervisor would. */
  private superviseUnexpectedExit(exit: UnexpectedExit): void {
    this.unexpectedExits.push(exit);
    console.error(`[chaos] ${exit.service} (pid ${exit.pid}) exited on its own (code ${exit.code}, signal ${exit.signal}); restarting it`);
    if (this.stopping) return;
    setTimeout(() => {
      if (this.stopping) return;
      const index = this.workers.findIndex((w) => w.name === exit.service);
      const restart = index >= 0 ? this.startWorker(index) : this.startApi();
      restart.catch((err) => console.error(`[chaos] could not restart ${exit.service}: ${(err as Error).message}`));
    }, 1000);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.api.stop('SIGTERM'), ...this.workers.map((w) => w.stop('SIGTERM'))]);
    await this.temporal.stop();
    await Promise.all([this.zuz.close(), this.pms.close()]);
    this.postgres.stopNow();
  }

  /** For exit paths (Ctrl-C, a crash): no orphan may survive this process. */
  killAllNow(): void {
    this.stopping = true;
    this.api.killNow();
    for (const worker of this.workers) worker.killNow();
    if (this.temporal.process.exitCode === null && this.temporal.process.signalCode === null) this.temporal.process.kill('SIGKILL');
    this.postgres.stopNow();
  }
}
