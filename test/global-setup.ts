/**
 * What `npm test` needs beyond node_modules, started or found here before any test file runs, so
 * that `npm ci && npm test` passes on a fresh machine with nothing else done:
 * - a real PostgreSQL when DATABASE_URL is unset (scripts/start-postgres.sh, on a free port and a
 *   folder of its own; stopped by test/global-teardown.ts), exported to the tests as DATABASE_URL;
 * - a Chromium for test/web-ui.test.ts (scripts/find-chromium.sh: found, else installed where the
 *   machine allows it, else that test fails naming the command that installs it);
 * - the fuzzer's Python environment for test/fuzz.test.ts (scripts/fuzz-venv.sh).
 * Each is done only when a test file that needs it is selected (`jest test/x.test.ts` starts nothing
 * it does not need). Jest runs this in its main process, before the test workers start: what is set
 * in process.env here reaches every test file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Config } from '@jest/types';
import { started, stopPostgresOnExit } from './global-state';

const ROOT = path.join(__dirname, '..');
const SCRIPTS = path.join(ROOT, 'scripts');

/** The test files under test/ this run selects (the command line's patterns; none: all). */
function selectedTestFiles(globalConfig: Config.GlobalConfig): string[] {
  const pattern = globalConfig.testPathPattern ? new RegExp(globalConfig.testPathPattern, 'i') : undefined;
  return readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => path.join(__dirname, name))
    .filter((file) => !pattern || pattern.test(file));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function startPostgres(): Promise<void> {
  const since = Date.now();
  const port = await freePort();
  // Directly under /tmp: as root, PostgreSQL runs as its own user, which must reach the folder.
  const dataDir = `/tmp/pos-test-postgres-${process.pid}-${port}`;
  const env = { ...process.env, PGPORT_TEST: String(port), PGDATA_TEST: dataDir };
  started.postgres = { env, dataDir };
  stopPostgresOnExit();
  const result = spawnSync('bash', [path.join(SCRIPTS, 'start-postgres.sh')], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    started.postgres = undefined;
    throw new Error(
      'the tests need a PostgreSQL: scripts/start-postgres.sh could not start one (see its message above). ' +
        'Install PostgreSQL (sudo apt-get install postgresql) or set DATABASE_URL to a PostgreSQL the tests may use.',
    );
  }
  process.env.DATABASE_URL = result.stdout.trim().split('\n').pop();
  console.log(`[global-setup] PostgreSQL for the tests at ${process.env.DATABASE_URL} (${seconds(since)})`);
}

function findChromium(): void {
  const since = Date.now();
  const result = spawnSync('bash', [path.join(SCRIPTS, 'find-chromium.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status === 0) {
    process.env.CHROMIUM_PATH = result.stdout.trim().split('\n').pop();
    console.log(`[global-setup] Chromium for the Web UI test: ${process.env.CHROMIUM_PATH} (${seconds(since)})`);
  } else {
    // test/web-ui.test.ts fails with this message (the other files still run).
    process.env.POS_CHROMIUM_MISSING = result.stderr.trim().split('\n').pop() || 'scripts/find-chromium.sh found no Chromium';
    console.warn(`[global-setup] ${process.env.POS_CHROMIUM_MISSING}`);
  }
}

function prepareFuzzer(): void {
  const since = Date.now();
  try {
    const venv = execFileSync('bash', [path.join(SCRIPTS, 'fuzz-venv.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    console.log(`[global-setup] the fuzzer's venv: ${venv.trim()} (${seconds(since)})`);
  } catch {
    // scripts/fuzz-api.sh calls it again, and test/fuzz.test.ts then fails with its message.
    console.warn('[global-setup] scripts/fuzz-venv.sh failed (see above): test/fuzz.test.ts will fail');
  }
}

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const files = selectedTestFiles(globalConfig);
  const reads = (needle: string) => files.some((file) => readFileSync(file, 'utf8').includes(needle));
  if (!process.env.DATABASE_URL && reads('process.env.DATABASE_URL')) await startPostgres();
  if (files.some((file) => file.endsWith('web-ui.test.ts'))) findChromium();
  if (files.some((file) => file.endsWith('fuzz.test.ts'))) prepareFuzzer();
}
