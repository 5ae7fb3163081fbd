/**
 * What test/global-setup.ts started, and how to stop it: test/global-teardown.ts does at the end,
 * and, should Jest be interrupted first (Ctrl-C, SIGTERM, an exit without the teardown), the
 * handlers installed here do, so no PostgreSQL outlives the run. Both run in Jest's main process.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';

interface Started {
  postgres?: { env: NodeJS.ProcessEnv; dataDir: string };
  handlersInstalled?: boolean;
}
const holder = globalThis as { __posGlobalSetup?: Started };
export const started: Started = (holder.__posGlobalSetup ??= {});

/** Stops the tests' PostgreSQL if this run started it (synchronous: it also runs from an exit handler). */
export function stopPostgres(): void {
  const postgres = started.postgres;
  if (!postgres) return;
  started.postgres = undefined;
  spawnSync('bash', [path.join(__dirname, '..', 'scripts', 'start-postgres.sh'), 'stop'], { env: postgres.env, stdio: 'ignore' });
  rmSync(postgres.dataDir, { recursive: true, force: true });
}

export function stopPostgresOnExit(): void {
  if (started.handlersInstalled) return;
  started.handlersInstalled = true;
  process.once('exit', stopPostgres);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopPostgres();
      process.kill(process.pid, signal); // the default action, now that this handler is gone
    });
  }
}
