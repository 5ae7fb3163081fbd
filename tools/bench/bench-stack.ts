/**
 * The chaos suite's stack (dev server, simulators, PostgreSQL, N worker processes, the API
 * process) plus what the bench adds: N engine-ceiling worker processes on their own task queue,
 * a Temporal client, and the flow's waits set for measuring (no fault is ever injected).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadTemporalConfig } from '../../src/shared/config';
import { freePort } from '../../sandbox/dev-server';
import { connectClient } from '../../src/shared/temporal';
import { ApiClient } from '../chaos/api-client';
import type { EngineKind } from '../chaos/engine';
import type { ExitGuard } from '../chaos/exit-guard';
import { API_KEY } from '../chaos/service-env';
import { ServiceProcess } from '../chaos/service-process';
import { ChaosStack } from '../chaos/stack';
import { FlowClient } from './flow-client';

const READY_TIMEOUT_MS = 90_000;

/**
 * On top of the chaos suite's service environment: manual-capture transactions must stay
 * `authorized` through the whole scale phase (the chaos suite voids them after 20 s).
 */
export const BENCH_SERVICE_ENV = { FLOW_AUTHORIZATION_EXPIRY: '2h' };

export interface BenchStackOptions {
  engine: EngineKind;
  workers: number;
  timeScale: number;
  logsDir: string;
  historyInMemory: boolean;
}

/** The real provider's patience with our webhook endpoint (its 5 s), whatever the time scale. */
export const WEBHOOK_TIMEOUT_MS = 5000;

export class BenchStack {
  private constructor(
    readonly services: ChaosStack,
    readonly engineTaskQueue: string,
    readonly engineWorkers: ServiceProcess[],
    readonly client: Client,
    readonly flow: FlowClient,
  ) {}

  static async start(options: BenchStackOptions, guard: ExitGuard): Promise<BenchStack> {
    const services = await ChaosStack.start({ ...options, serviceEnv: BENCH_SERVICE_ENV, webhookTimeoutMs: WEBHOOK_TIMEOUT_MS }, (kill) =>
      guard.set('stack', kill),
    );
    const toolsDir = path.resolve(__dirname, '..');
    const engineWorkers = Array.from(
      { length: options.workers },
      (_, i) =>
        new ServiceProcess(
          `engine-${i}`,
          path.join(toolsDir, 'bench', 'engine', 'worker.js'),
          path.join(options.logsDir, `engine-${i}.log`),
          (exit) =>
            console.error(
              `[bench] ${exit.service} (pid ${exit.pid}) exited on its own while ${exit.phase} (code ${exit.code}, signal ${exit.signal})`,
            ),
        ),
    );
    guard.set('engine', () => engineWorkers.forEach((worker) => worker.killNow()));
    const engineQueue = `bench-engine-${randomUUID()}`;
    await Promise.all(
      engineWorkers.map((worker) =>
        worker.start(async () => {
          const port = await freePort();
          return {
            env: { ...services.baseEnv, TEMPORAL_TASK_QUEUE: engineQueue, WORKER_HEALTH_PORT: String(port) },
            readyUrl: `http://127.0.0.1:${port}/readyz`,
          };
        }, READY_TIMEOUT_MS),
      ),
    );
    const client = await connectClient(loadTemporalConfig(services.baseEnv));
    return new BenchStack(services, engineQueue, engineWorkers, client, new FlowClient(new ApiClient(services.apiUrl, API_KEY), client));
  }

  get flowTaskQueue(): string {
    return this.services.baseEnv.TEMPORAL_TASK_QUEUE!;
  }

  /** The processes whose CPU and memory the report shows, by role. */
  pids(): Record<'workers' | 'api' | 'temporal' | 'engineWorkers', number[]> {
    const alive = (list: Array<number | undefined>) => list.filter((pid): pid is number => pid !== undefined);
    return {
      workers: alive(this.services.workers.map((worker) => worker.pid)),
      api: alive([this.services.api.pid]),
      temporal: alive([this.services.temporalPid]),
      engineWorkers: alive(this.engineWorkers.map((worker) => worker.pid)),
    };
  }

  async stop(): Promise<void> {
    await this.client.connection.close().catch(() => undefined);
    await Promise.all(this.engineWorkers.map((worker) => worker.stop('SIGTERM')));
    await this.services.stop();
  }
}
