/** Stops what test/global-setup.ts started (the tests' PostgreSQL, when it started one). */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { started } from './global-state';

export default function globalTeardown(): void {
  const postgres = started.postgres;
  if (!postgres) return;
  started.postgres = undefined;
  spawnSync('bash', [path.join(__dirname, '..', 'scripts', 'start-postgres.sh'), 'stop'], { env: postgres.env, stdio: 'ignore' });
  rmSync(postgres.dataDir, { recursive: true, force: true });
}
