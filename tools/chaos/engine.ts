/**
 * The Temporal the chaos stack runs on (`--engine`): the CLI's dev server (one process, SQLite,
 * the default) or the production-shape cluster of `npm run cluster` (the Temporal server on its
 * own PostgreSQL, see sandbox/cluster). Either one can be restarted by a fault, comes back on the
 * same address with every workflow, and names itself for the report.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadDevConfig } from '../../sandbox/config';
import { clusterBinaries } from '../../sandbox/cluster/binaries';
import { startTemporalCluster, type TemporalCluster } from '../../sandbox/cluster/cluster';
import { freePort, startDevServer, type DevServer, type DevServerOptions } from '../../sandbox/dev-server';
import type { EngineKind } from './args';
import type { KillSignal } from './fault-schedule';
import { sleep } from './sleep';

export type { EngineKind } from './args';

export interface TemporalEngine {
  readonly kind: EngineKind;
  /** What it is, for the report: e.g. "Temporal 1.29.1 server on PostgreSQL (cluster)". */
  readonly description: string;
  readonly address: string;
  readonly pid: number | undefined;
  /** Stops the server with `signal`, waits `downMs`, starts it again on the same address and history. */
  restart(signal: KillSignal, downMs: number): Promise<{ pid?: number; restartedPid?: number }>;
  stop(): Promise<void>;
  /** For exit paths: synchronous, no waiting. */
  killNow(): void;
}

export interface EngineOptions {
  logsDir: string;
  /** Dev server only: keep the history in memory (nothing can restart the server then). */
  historyInMemory?: boolean;
}

/**
 * `bash scripts/provision-temporal.sh cluster`: the Temporal server, SQL tool and UI server, built
 * once per machine (a no-op once cached). False after saying why, if they cannot be had.
 */
export function provisionCluster(tool: string): boolean {
  const script = path.resolve(__dirname, '..', '..', '..', 'scripts', 'provision-temporal.sh');
  const result = spawnSync('bash', [script, 'cluster'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0)
    console.error(`[${tool}] could not provision the cluster's binaries (${result.error?.message ?? `exit ${result.status}`})`);
  return result.status === 0;
}

/** `temporal version 1.5.1 (Server 1.29.1, UI 2.42.1)` / `temporal version 1.29.1`; undefined if it cannot say. */
function versionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

/** The Temporal CLI's dev server, a child process whose history is a SQLite file (so that it survives a restart). */
export class DevServerEngine implements TemporalEngine {
  readonly kind = 'dev';

  private constructor(
    private server: DevServer,
    private readonly options: DevServerOptions,
    readonly description: string,
  ) {}

  static async start(options: EngineOptions): Promise<DevServerEngine> {
    const serverOptions: DevServerOptions = {
      cli: loadDevConfig(process.env).temporalCli,
      port: await freePort(), // fixed from now on: a restart comes back on the same address
      dbFile: options.historyInMemory ? undefined : path.join(options.logsDir, 'temporal.sqlite'),
      logFile: path.join(options.logsDir, 'temporal.log'),
    };
    const server = await startDevServer(serverOptions);
    const [, cli, version] = versionOf(serverOptions.cli)?.match(/version ([\w.-]+) \(Server ([\w.-]+)/) ?? [];
    const storage = options.historyInMemory ? 'SQLite in memory' : 'SQLite';
    const description = `Temporal ${version ?? '?'} dev server on ${storage} (temporal CLI ${cli ?? '?'} server start-dev)`;
    return new DevServerEngine(server, serverOptions, description);
  }

  get address(): string {
    return this.server.address;
  }

  get pid(): number | undefined {
    return this.server.process.pid;
  }

  async restart(signal: KillSignal, downMs: number): Promise<{ pid?: number; restartedPid?: number }> {
    const pid = this.server.process.pid;
    if (signal === 'SIGTERM') {
      await this.server.stop();
    } else {
      const exited = new Promise((resolve) => this.server.process.once('exit', resolve));
      this.server.process.kill('SIGKILL');
      await exited;
    }
    await sleep(downMs);
    this.server = await startDevServer(this.options);
    return { pid, restartedPid: this.server.process.pid };
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  killNow(): void {
    if (this.server.process.exitCode === null && this.server.process.signalCode === null) this.server.process.kill('SIGKILL');
  }
}

/**
 * The Temporal server of `npm run cluster` (frontend, history, matching and worker in one
 * process) on a private PostgreSQL started for the run, with the namespace and search attributes
 * registered; no UI server. Its data folder is a throwaway under /tmp (PostgreSQL runs as the
 * `postgres` user when this is root, so it must be reachable by it); its logs go to `logsDir`.
 * The PostgreSQL also holds the service's database (`pos`) unless DATABASE_URL names another.
 */
export class ClusterEngine implements TemporalEngine {
  readonly kind = 'cluster';

  private constructor(
    readonly cluster: TemporalCluster,
    private readonly dataDir: string,
    readonly description: string,
  ) {}

  /** `setKiller` holds what kills the parts started so far, from the first moment. */
  static async start(options: EngineOptions, setKiller: (killNow: () => void) => void): Promise<ClusterEngine> {
    const dataDir = `/tmp/pos-chaos-cluster-${process.pid}`;
    rmSync(dataDir, { recursive: true, force: true });
    const removeData = () => {
      try {
        rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // PostgreSQL's last processes may still be writing: the folder is under /tmp
      }
    };
    let cluster: TemporalCluster;
    try {
      cluster = await startTemporalCluster({
        dataDir,
        logsDir: options.logsDir,
        ports: { temporal: 0 },
        uiServer: false,
        temporalLogLevel: 'warn',
        onStarting: (control) =>
          setKiller(() => {
            control.killNow();
            removeData();
          }),
      });
    } catch (err) {
      removeData();
      throw err;
    }
    const version = versionOf(clusterBinaries().server)?.match(/version ([\w.-]+)/)?.[1];
    return new ClusterEngine(cluster, dataDir, `Temporal ${version ?? '?'} server on PostgreSQL (cluster)`);
  }

  get address(): string {
    return this.cluster.temporalAddress;
  }

  get pid(): number | undefined {
    return this.cluster.temporalServerPid();
  }

  async restart(signal: KillSignal, downMs: number): Promise<{ pid?: number; restartedPid?: number }> {
    const pid = this.pid;
    await this.cluster.restartTemporalServer({ signal, downMs });
    return { pid, restartedPid: this.pid };
  }

  async stop(): Promise<void> {
    await this.cluster.stop();
    rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }

  killNow(): void {
    this.cluster.killNow();
    try {
      rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // PostgreSQL's last processes may still be writing: the folder is under /tmp
    }
  }
}
