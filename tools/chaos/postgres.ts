/**
 * The PostgreSQL the worker processes share: DATABASE_URL when set, otherwise a throwaway one
 * started with scripts/start-postgres.sh on its own port and folder, so it never collides with
 * the test suite's (55432, /tmp/pos-test-postgres).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../sandbox/dev-server';

export interface ChaosPostgres {
  url: string;
  /** Whether this run started it (and so stops it). */
  owned: boolean;
  /** Synchronous, so that it also works from an exit handler. */
  stopNow(): void;
}

const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'scripts', 'start-postgres.sh');

export async function ensurePostgres(env: NodeJS.ProcessEnv = process.env): Promise<ChaosPostgres> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, owned: false, stopNow: () => undefined };
  const port = await freePort();
  // Directly under /tmp: the postgres user must be able to reach it (a mkdtemp folder is root-only).
  const dataDir = `/tmp/pos-chaos-postgres-${process.pid}`;
  const scriptEnv = { ...env, PGPORT_TEST: String(port), PGDATA_TEST: dataDir };
  const url = execFileSync('bash', [SCRIPT], { env: scriptEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    .trim()
    .split('\n')
    .pop()!;
  let stopped = false;
  return {
    url,
    owned: true,
    stopNow: () => {
      if (stopped) return;
      stopped = true;
      spawnSync('bash', [SCRIPT, 'stop'], { env: scriptEnv, stdio: 'ignore' });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
