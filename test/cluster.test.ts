/**
 * The service on a production-shape Temporal (`npm run cluster`): the Temporal server on a
 * private PostgreSQL, the standalone Web UI server, a worker process and the API process from
 * dist/, the simulators. A transaction succeeds and shows in the UI server's HTTP API; then the
 * Temporal server is killed (-9) while a manual-capture transaction waits, started again, and the
 * capture goes through: nothing lost, nothing charged twice. Skipped only when the cluster's
 * binaries were not provisioned (`bash scripts/provision-temporal.sh cluster`; CI does it).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TransactionView } from '../src/transaction/model';
import { isTerminal, workflowIdFor } from '../src/transaction/model';
import { missingClusterBinaries } from '../sandbox/cluster/binaries';
import { startCluster, type Cluster } from '../sandbox/cluster/cluster';
import { SANDBOX_KEYS_FILE } from '../sandbox/payload-keys';
import { DEFAULT_MERCHANT_ID } from '../src/merchants/model';
import { customerPseudonym } from '../src/shared/payload-codec';

const missing = missingClusterBinaries();
if (missing) console.warn(`test/cluster.test.ts is skipped: ${missing}`);
const describeCluster = missing ? describe.skip : describe;

describeCluster('the service on Temporal server + PostgreSQL + UI server', () => {
  let cluster: Cluster;
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(path.join(__dirname, '..', 'dist', 'worker.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    // Directly under /tmp and world-traversable: as root, PostgreSQL runs as the postgres user.
    dataDir = mkdtempSync(path.join(tmpdir(), 'pos-cluster-test-'));
    chmodSync(dataDir, 0o755);
    cluster = await startCluster({
      dataDir,
      ports: { temporal: 0, ui: 0, api: 0, zuz: 0, pms: 0 },
      taskQueue: `cluster-test-${randomUUID()}`,
      simTimeScale: 0.001,
      temporalLogLevel: 'warn',
      serviceEnv: {
        LOG_LEVEL: 'warn',
        FLOW_WEBHOOK_GRACE_PERIOD: '2s',
        FLOW_POLL_INITIAL_INTERVAL: '500ms',
        FLOW_POLL_MAX_INTERVAL: '2s',
        WORKER_SHUTDOWN_GRACE_SECONDS: '2',
        // The round trip below mints a payload through the codec server, which serves /encode only when told.
        CODEC_SERVER_ENCODE: 'on',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await cluster?.stop();
    // Kept when the start failed (its logs say why), or on request.
    if (cluster && dataDir && !process.env.KEEP_CLUSTER_DATA) rmSync(dataDir, { recursive: true, force: true });
    else if (dataDir) console.warn(`cluster data and logs kept in ${dataDir}`);
  }, 120_000);

  async function api<T = TransactionView>(method: 'GET' | 'POST', route: string, body?: unknown) {
    const response = await fetch(cluster.apiUrl + route, {
      method,
      headers: { authorization: `Bearer ${cluster.apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function startTransaction(amount: number, capture: 'auto' | 'manual'): Promise<string> {
    const transactionId = `cluster-${randomUUID()}`;
    const created = await api('POST', '/v1/transactions', {
      transactionId,
      customerId: 'cus_demo',
      paymentMethodId: 'pm_approved',
      amount,
      currency: 'EUR',
      capture,
    });
    expect(created.status).toBe(202);
    return transactionId;
  }

  async function until(transactionId: string, done: (view: TransactionView) => boolean, timeoutMs = 60_000): Promise<TransactionView> {
    const giveUpAt = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < giveUpAt) {
      const { status, body } = await api('GET', `/v1/transactions/${transactionId}`).catch((err: Error) => ({ status: 0, body: err }));
      last = body;
      if (status === 200 && done(body as TransactionView)) return body as TransactionView;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`transaction ${transactionId} did not get there in time; last: ${JSON.stringify(last)}`);
  }

  /** Zuz's ledger for the transaction's payment: what was actually performed, in order. */
  function ledger(view: TransactionView): string[] {
    return cluster.zuz.ledger
      .entries()
      .filter((e) => e.paymentId === view.zuz.paymentId)
      .map((e) => `${e.kind}:${e.status}:${e.amount}`);
  }

  /** The UI server's HTTP API (what the Web UI's pages call), with a visibility query. */
  async function uiWorkflows(query: string): Promise<Array<{ execution: { workflowId: string }; status: string }>> {
    const url = `${cluster.uiUrl}/api/v1/namespaces/${cluster.namespace}/workflows?query=${encodeURIComponent(query)}`;
    const response = await fetch(url);
    expect(response.status).toBe(200);
    return ((await response.json()) as { executions?: Array<{ execution: { workflowId: string }; status: string }> }).executions ?? [];
  }

  test('a transaction succeeds and is visible, with its search attributes, through the UI server', async () => {
    const id = await startTransaction(1250, 'auto');
    const view = await until(id, (v) => isTerminal(v.status));
    expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1250 });
    expect(ledger(view)).toEqual(['authorization:Succeed:1250', 'capture:Succeed:1250']);

    // Visibility (temporal_visibility in PostgreSQL) is written after the fact: look until it shows.
    const workflowId = workflowIdFor(id);
    // Payloads are encrypted on the cluster as in production, so CustomerId holds the customer's pseudonym.
    const keys = JSON.parse(readFileSync(path.join(dataDir, SANDBOX_KEYS_FILE), 'utf8')) as { CUSTOMER_PSEUDONYM_KEY: string };
    const customer = customerPseudonym(Buffer.from(keys.CUSTOMER_PSEUDONYM_KEY, 'base64'), DEFAULT_MERCHANT_ID, 'cus_demo');
    const query = `WorkflowId = "${workflowId}" AND TransactionStatus = "succeeded" AND CustomerId = "${customer}"`;
    let found: Awaited<ReturnType<typeof uiWorkflows>> = [];
    for (let i = 0; i < 100 && found.length === 0; i++) {
      found = await uiWorkflows(query);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found.map((w) => w.execution.workflowId)).toEqual([workflowId]);
    // The Web UI's page itself is served too.
    expect((await fetch(`${cluster.uiUrl}/namespaces/${cluster.namespace}/workflows`)).status).toBe(200);

    // The UI is told of the codec server (served by the API, payloads being encrypted), which answers the UI's origin;
    // its endpoint carries the codec server's token as the last path segment (issue 38, finding 4).
    const settings = (await (await fetch(`${cluster.uiUrl}/api/v1/settings`)).json()) as { Codec?: { Endpoint?: string } };
    const endpoint = settings.Codec?.Endpoint ?? '';
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/codec\/[A-Za-z0-9_-]{16,}$/);
    const codec = async (operation: 'encode' | 'decode', body: unknown) => {
      const response = await fetch(`${endpoint}/${operation}`, {
        method: 'POST',
        headers: { origin: cluster.uiUrl, 'content-type': 'application/json', 'x-namespace': cluster.namespace },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    };
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"cus_demo"').toString('base64'),
    };
    const encoded = await codec('encode', { payloads: [plain] });
    expect(Buffer.from(encoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    expect((await codec('decode', encoded)).payloads).toEqual([plain]);
  });

  test('kill -9 of the Temporal server while a transaction waits for its capture: restarted, captured, nothing lost', async () => {
    const id = await startTransaction(2000, 'manual');
    await until(id, (v) => v.status === 'authorized');
    const before = cluster.temporalServerPid();

    await cluster.restartTemporalServer();
    expect(cluster.temporalServerPid()).not.toBe(before);
    expect(() => process.kill(before!, 0)).toThrow(); // the old one is gone

    // A till retries while the server settles (a 503 means "not done, try again"); the same request is applied once.
    let captured = await api('POST', `/v1/transactions/${id}/capture`, { amount: 1500 });
    for (let i = 0; i < 30 && captured.status >= 500; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      captured = await api('POST', `/v1/transactions/${id}/capture`, { amount: 1500 });
    }
    expect(captured.status).toBe(200);
    const view = await until(id, (v) => isTerminal(v.status));
    expect(view).toMatchObject({ status: 'succeeded', authorizedAmount: 2000, capturedAmount: 1500 });
    expect(ledger(view)).toEqual(['authorization:Succeed:2000', 'capture:Succeed:1500']);
  }, 180_000);

  test('stop ends every process it started, in reverse order', async () => {
    const pids = Object.values(cluster.pids()).filter((pid): pid is number => pid !== undefined);
    expect(pids.length).toBeGreaterThanOrEqual(5); // PostgreSQL, Temporal server, UI server, worker, API
    await cluster.stop();
    const alive = pids.filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  }, 120_000);
});
