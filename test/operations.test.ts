/**
 * The production entry points as separate processes (`node dist/worker.js`, `node dist/api/server.js`),
 * the way they are deployed: health and readiness, Prometheus metrics, structured logs with the
 * transaction's ids and no card data, and a graceful stop. (`npm test` builds dist/ first.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../sandbox/dev-server';
import { MOCK_CARDS } from '../sandbox/simulators/cards';
import { containsCardNumber } from '../src/transaction/card-number';
import { startPmsSimulator, type PmsSimulator } from '../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../sandbox/simulators/zuz';
import { throwawayEncryptionEnv } from '../sandbox/payload-keys';
import { freePort, temporalCliPath } from './helpers/temporal';

const API_KEY = 'ops-test-api-key-0123456789';
let temporal: DevServer;
let zuz: ZuzSimulator;
let pms: PmsSimulator;
let worker: Service;
let api: Service;
let apiUrl: string;
let workerHealthUrl: string;
let workerMetricsUrl: string;
let apiMetricsUrl: string;

interface Service {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startService(script: string, env: NodeJS.ProcessEnv): Service {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (buffered + chunk.toString()).split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts.filter(Boolean));
    });
  }
  return { process: child, lines, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function waitFor(url: string, expectedStatus = 200, timeoutMs = 60_000): Promise<Response> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(url).catch(() => undefined);
    if (response?.status === expectedStatus) return response;
    if (Date.now() > giveUpAt) throw new Error(`${url} did not answer ${expectedStatus} in time (last: ${response?.status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pos-ops-'));
  temporal = await startDevServer({ cli: temporalCliPath(), port: 0, logFile: path.join(dataDir, 'temporal.log') });
  zuz = await startZuzSimulator({ appId: 'ops-app', privateKey: 'ops-zuz-key', timeScale: 0.001 });
  pms = await startPmsSimulator({ apiKey: 'ops-pms-key' });
  const [apiPort, healthPort, metricsPort, apiMetricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    LOG_LEVEL: 'info',
    // The simulators: http:// and short keys, which the production entry points refuse without it.
    POS_SANDBOX: 'true',
    // Payloads encrypted, as production runs them (the production entry points require it without POS_SANDBOX).
    ...throwawayEncryptionEnv(),
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: `ops-${randomUUID()}`,
    POS_DATA_DIR: dataDir,
    ZUZ_BASE_URL: zuz.url,
    ZUZ_APP_ID: 'ops-app',
    ZUZ_PRIVATE_KEY: 'ops-zuz-key',
    PMS_BASE_URL: pms.url,
    PMS_API_KEY: 'ops-pms-key',
    API_PORT: String(apiPort),
    API_KEYS: API_KEY,
    API_METRICS_ADDRESS: `127.0.0.1:${apiMetricsPort}`,
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    WORKER_SHUTDOWN_GRACE_SECONDS: '5',
    // Other suites put many cus_demo transactions in a shared DATABASE_URL; this test is not about risk limits.
    RISK_MAX_TRANSACTIONS_PER_HOUR: '1000000',
    RISK_MAX_AMOUNT_PER_DAY: '1000000000000',
  };
  apiUrl = `http://127.0.0.1:${apiPort}`;
  workerHealthUrl = `http://127.0.0.1:${healthPort}`;
  workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  apiMetricsUrl = `http://127.0.0.1:${apiMetricsPort}/metrics`;
  zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);
  worker = startService('worker.js', env);
  api = startService(path.join('api', 'server.js'), env);
  await Promise.all([waitFor(`${workerHealthUrl}/readyz`), waitFor(`${apiUrl}/readyz`)]);
}, 120_000);

afterAll(async () => {
  for (const service of [worker, api]) if (service?.process.exitCode === null) service.process.kill('SIGKILL');
  await Promise.all([zuz?.close(), pms?.close()]);
  await temporal?.stop();
});

async function runTransaction(): Promise<string> {
  const transactionId = `ops-${randomUUID()}`;
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  const created = await fetch(`${apiUrl}/v1/transactions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 4321, currency: 'EUR' }),
  });
  expect(created.status).toBe(202);
  for (;;) {
    const view = (await (await fetch(`${apiUrl}/v1/transactions/${transactionId}`, { headers })).json()) as { status: string };
    if (view.status === 'succeeded') return transactionId;
    expect(['processing', 'capturing']).toContain(view.status);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('worker and API report alive and ready, with what they checked', async () => {
  expect(await (await waitFor(`${workerHealthUrl}/healthz`)).json()).toEqual({ status: 'ok' });
  expect(await (await waitFor(`${workerHealthUrl}/readyz`)).json()).toEqual({
    status: 'ready',
    checks: { worker: true, temporal: true, database: true },
  });
  expect(await (await waitFor(`${apiUrl}/readyz`)).json()).toEqual({ status: 'ready', checks: { temporal: true } });
});

test("a transaction shows in both processes' metrics and logs, without card data", async () => {
  const transactionId = await runTransaction();

  expect((await fetch(`${apiUrl}/metrics`)).status).toBe(404); // not on the public port
  const apiMetrics = await (await fetch(apiMetricsUrl)).text();
  expect(apiMetrics).toMatch(/pos_http_requests_total\{method="POST",route="\/v1\/transactions",status="202"\} [1-9]/);
  expect(apiMetrics).toMatch(/pos_http_requests_total\{method="GET",route="\/v1\/transactions\/:id",status="200"\} [1-9]/);
  // Zuz's webhooks come on their own schedule: one that arrives after the workflow closed is stored, not delivered.
  expect(apiMetrics).toMatch(/pos_zuz_webhooks_total\{outcome="(delivered|stored)"\} [1-9]/);

  // The workflow's counters are exported by the SDK's runtime once its metrics are flushed.
  let workerMetrics = '';
  for (let i = 0; i < 50 && !/pos_transactions_finished.*status="succeeded"/.test(workerMetrics); i++) {
    await new Promise((r) => setTimeout(r, 200));
    workerMetrics = await (await fetch(workerMetricsUrl)).text();
  }
  expect(workerMetrics).toMatch(/pos_transactions_finished\S*\{[^}]*failure_code="none"[^}]*status="succeeded"[^}]*\} [1-9]/);
  expect(workerMetrics).toMatch(/pos_step_duration\S*\{[^}]*step="createAuthorization"/);
  expect(workerMetrics).toMatch(/temporal_workflow_completed/);

  const logs = [...worker.lines, ...api.lines];
  const stepLine = worker.lines
    .map((line) => JSON.parse(line))
    .find((entry) => entry.transactionId === transactionId && entry.step === 'createAuthorization');
  expect(stepLine).toMatchObject({ workflowId: `transaction-${transactionId}`, msg: 'Step createAuthorization completed' });
  expect(stepLine.runId).toEqual(expect.any(String));
  for (const line of logs) expect(() => JSON.parse(line)).not.toThrow();
  expect(cardDataInLogs(logs)).toEqual([]);
  // Planted controls: the same scan over the same lines finds a card number typed into a log line, and a token.
  const planted = JSON.stringify({ level: 30, msg: 'till note', note: 'card 4111 1111 1111 1111' });
  expect(cardDataInLogs([...logs, planted])).toEqual([`a card number in ${planted}`]);
  const token = MOCK_CARDS[1].providerToken;
  const leaked = JSON.stringify({ level: 30, msg: `token ${token}` });
  expect(cardDataInLogs([...logs, leaked])).toEqual([`${token} in ${leaked}`]);
});

/**
 * The log lines that hold card data: a mock card's number or token anywhere in the line, or a text
 * value that looks like a card number (13-19 digits passing the Luhn check) standing on its own.
 * Numbers (`time` is 13 digits) and hex or UUID identifiers (trace and run ids) are not text a card
 * number is typed into, nor is a run of digits inside a longer token: a delivery's workflow id
 * (`merchant-event-we_<hex>-evt_<hex>-0`) and its task token once held 16 digits passing the check.
 */
function cardDataInLogs(lines: string[]): string[] {
  const secrets = MOCK_CARDS.flatMap((card) => [card.cardNumber, card.providerToken]);
  const texts = (value: unknown): string[] =>
    typeof value === 'string'
      ? /^[0-9a-f-]+$/i.test(value)
        ? []
        : [value]
      : value !== null && typeof value === 'object'
        ? Object.values(value).flatMap(texts)
        : [];
  return lines.flatMap((line) => [
    ...secrets.filter((secret) => line.includes(secret)).map((secret) => `${secret} in ${line}`),
    ...(texts(JSON.parse(line)).some(holdsCardNumber) ? [`a card number in ${line}`] : []),
  ]);
}

/** A card number written as one: its digits (spaces or dashes between them allowed) not part of a longer token. */
function holdsCardNumber(text: string): boolean {
  return [...text.matchAll(/(?<![A-Za-z0-9_])\d(?:[ -]?\d)*(?![A-Za-z0-9_])/g)].some(([run]) => containsCardNumber(run));
}

test('with POS_SANDBOX=true each process says once that the production checks are off', () => {
  for (const service of [worker, api]) {
    const warnings = service.lines
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((e) => /production checks are off/.test(e.msg));
    expect(warnings).toEqual([expect.objectContaining({ level: 40 })]);
  }
});

test('without POS_SANDBOX both refuse the sandbox credentials before connecting anything, naming each variable', async () => {
  // Published credentials and http:// simulators, as `npm start` uses; Temporal is where nothing listens, so only the check can stop them first.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_OPTIONS: '',
    POS_SANDBOX: '',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    POS_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'pos-ops-refused-')),
    API_PORT: '0',
    API_METRICS_ADDRESS: '127.0.0.1:0',
    API_KEYS: 'dev-api-key-0123456789',
    ZUZ_APP_ID: 'pos-dev-app',
    ZUZ_PRIVATE_KEY: 'dev-zuz-private-key',
    ZUZ_BASE_URL: 'http://127.0.0.1:4100',
    ZUZ_ENV: '',
    PMS_BASE_URL: 'http://127.0.0.1:4200',
    PMS_API_KEY: 'dev-pms-key',
    WORKER_HEALTH_PORT: '0',
    WORKER_METRICS_ADDRESS: '127.0.0.1:0',
  };
  const refused = await Promise.all(
    [path.join('api', 'server.js'), 'worker.js'].map(async (script) => {
      const service = startService(script, env);
      const closed = new Promise((resolve) => service.process.once('close', resolve));
      const timer = setTimeout(() => service.process.kill('SIGKILL'), 20_000);
      const code = await service.exited;
      await closed;
      clearTimeout(timer);
      return { code, output: service.lines.join('\n') };
    }),
  );
  const [apiRefusal, workerRefusal] = refused;
  expect(apiRefusal.code).toBe(1);
  expect(apiRefusal.output).toContain('API_KEYS: has a key the published sandbox credential');
  expect(apiRefusal.output).toContain('ZUZ_PRIVATE_KEY: is the published sandbox credential');
  expect(workerRefusal.code).toBe(1);
  expect(apiRefusal.output).toContain('PAYLOAD_ENCRYPTION_KEYS: must be set');
  for (const name of ['ZUZ_PRIVATE_KEY', 'PMS_API_KEY', 'ZUZ_BASE_URL', 'PMS_BASE_URL', 'ZUZ_ENV', 'PAYLOAD_ENCRYPTION_KEYS'])
    expect(workerRefusal.output).toContain(`  ${name}: `);
  for (const { output } of refused) expect(output).not.toMatch(/API listening|worker started|failed to start|worker failed/);
}, 30_000);

test('SIGTERM stops both processes cleanly', async () => {
  worker.process.kill('SIGTERM');
  api.process.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  expect(await api.exited).toBe(0);
  expect(worker.lines.some((line) => line.includes('worker stopped'))).toBe(true);
}, 30_000);
