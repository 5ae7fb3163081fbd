/**
 * The embedded Temporal server never outlives the process that started it, even when that
 * process is SIGKILLed (no chance to clean up): `npm start` killed hard leaves no server behind.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadDevConfig } from '../sandbox/config';

const dir = mkdtempSync(path.join(tmpdir(), 'pos-dev-server-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a SIGKILLed parent takes its Temporal dev server down with it', async () => {
  const devServer = path.join(__dirname, '..', 'build', 'sandbox', 'dev-server.js');
  const script = `require(${JSON.stringify(devServer)}).startDevServer({ cli: ${JSON.stringify(loadDevConfig(process.env).temporalCli)}, port: 0, logFile: ${JSON.stringify(path.join(dir, 'temporal.log'))} })
    .then((server) => console.log('pid ' + server.process.pid), (err) => { console.error(err); process.exit(1); });`;
  const parent = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const serverPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.on('data', (chunk: Buffer) => {
      const match = /pid (\d+)/.exec(chunk.toString());
      if (match) resolve(Number(match[1]));
    });
    parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before the server was up`)));
  });
  expect(alive(serverPid)).toBe(true);

  parent.kill('SIGKILL');
  for (let i = 0; i < 100 && alive(serverPid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(alive(serverPid)).toBe(false);
}, 90_000);
