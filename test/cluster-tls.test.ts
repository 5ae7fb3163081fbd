/**
 * The service on a Temporal frontend served over TLS with a private CA, client certificates
 * required (mTLS): the PostgreSQL-backed Temporal server of `npm run cluster` with certificates
 * made here by `openssl`. The service connects through its own configuration only, by the
 * standard names the `temporal` CLI reads: a worker process from the environment variables
 * (TEMPORAL_ADDRESS, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_TLS_SERVER_NAME,
 * TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH), the API process from a TOML profile
 * (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE), and a transaction goes through both. Without the CA,
 * or without a client certificate, the connection fails and says why. Skipped, with a message,
 * only when the cluster's binaries are not provisioned.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { loadTemporalConfig, type Env } from '../src/shared/config';
import { isTerminal, type TransactionView } from '../src/transaction/model';
import { assertSearchAttributesRegistered, connectClient, connectWorker } from '../src/shared/temporal';
import { clusterBinaries, missingClusterBinaries } from '../sandbox/cluster/binaries';
import { Child, httpOk, waitFor } from '../sandbox/cluster/child-process';
import { ensureDatabase, postgresUrl, startPrivatePostgres, type ClusterPostgres } from '../sandbox/cluster/postgres';
import {
  createPrivateCa,
  ensureNamespace,
  freeLowPort,
  harnessTls,
  serverPorts,
  setupTemporalSchemas,
  startTemporalServer,
  type PrivateCa,
  type TemporalServerTls,
} from '../sandbox/cluster/temporal-server';
import { DEV_DEFAULTS } from '../sandbox/local-stack';
import { startPmsSimulator, type PmsSimulator } from '../sandbox/simulators/pms';
import { startZuzSimulator, type ZuzSimulator } from '../sandbox/simulators/zuz';

const missing = missingClusterBinaries();
if (missing) console.warn(`test/cluster-tls.test.ts is skipped: ${missing}`);
const describeCluster = missing ? describe.skip : describe;

const NAMESPACE = 'default';
const dist = path.join(__dirname, '..', 'dist');

describeCluster('the service on a TLS frontend with a private CA (mTLS)', () => {
  let dataDir: string;
  let pki: PrivateCa;
  let pg: ClusterPostgres | undefined;
  let server: Child | undefined;
  let address: string;
  let zuz: ZuzSimulator | undefined;
  let pms: PmsSimulator | undefined;
  const children: Child[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    if (!existsSync(path.join(dist, 'worker.js'))) throw new Error('dist/ is missing: run "npm run build" first');
    // Directly under /tmp and world-traversable: as root, PostgreSQL runs as the postgres user.
    dataDir = mkdtempSync(path.join(tmpdir(), 'pos-cluster-tls-test-'));
    chmodSync(dataDir, 0o755);
    mkdirSync(path.join(dataDir, 'pki'));
    mkdirSync(path.join(dataDir, 'config')); // an empty XDG_CONFIG_HOME: no one's ~/.config/temporalio/temporal.toml
    pki = await createPrivateCa(path.join(dataDir, 'pki'));
    const binaries = clusterBinaries();
    const logsDir = path.join(dataDir, 'logs');
    pg = await startPrivatePostgres({ dataDir, logsDir });
    await setupTemporalSchemas(binaries, pg, () => undefined);
    const tls: TemporalServerTls = {
      server: pki.server,
      caFile: pki.caFile,
      serverName: pki.serverName,
      requireClientAuth: true,
      system: pki.system,
    };
    const ports = await serverPorts(0);
    server = await startTemporalServer({ binaries, pg, ports, tls, logFile: path.join(logsDir, 'temporal-server.log'), logLevel: 'warn' });
    address = `127.0.0.1:${ports.frontend}`;
    await ensureNamespace(address, NAMESPACE, 1, () => undefined, harnessTls(tls));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.connection.close()));
    for (const child of children.reverse()) await child.stop('SIGTERM', 15_000);
    await zuz?.close();
    await pms?.close();
    await server?.stop('SIGTERM', 30_000);
    await pg?.child?.stop('SIGINT', 30_000);
    if (server && !process.env.KEEP_CLUSTER_DATA) rmSync(dataDir, { recursive: true, force: true });
    else if (dataDir) console.warn(`cluster data and logs kept in ${dataDir}`);
  }, 120_000);

  /** The process environment without the caller's Temporal settings, and without a default config file. */
  function cleanEnv(): Env {
    const env: Env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
    return { ...env, XDG_CONFIG_HOME: path.join(dataDir, 'config') };
  }

  /** What a deployment sets, in the names the temporal CLI reads. */
  function standardEnv(): Env {
    return {
      ...cleanEnv(),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: NAMESPACE,
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caFile,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certFile,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyFile,
    };
  }

  /** The same connection as a TOML profile, among others: the file the `temporal` CLI reads too. */
  function profileEnv(): Env {
    const file = path.join(dataDir, 'temporal.toml');
    writeFileSync(
      file,
      [
        '[profile.default]',
        'address = "localhost:7233"',
        '',
        '[profile.tls-test]',
        `address = "${address}"`,
        `namespace = "${NAMESPACE}"`,
        '[profile.tls-test.tls]',
        `server_ca_cert_path = "${pki.caFile}"`,
        `server_name = "${pki.serverName}"`,
        `client_cert_path = "${pki.client.certFile}"`,
        `client_key_path = "${pki.client.keyFile}"`,
        '',
      ].join('\n'),
    );
    return { ...cleanEnv(), TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'tls-test' };
  }

  async function client(env: Env): Promise<Client> {
    const connected = await connectClient(loadTemporalConfig(env), [], { connectTimeout: 10_000 });
    clients.push(connected);
    return connected;
  }

  test('from the standard variables: the worker start-up check passes, both connection kinds describe the namespace', async () => {
    const config = loadTemporalConfig(standardEnv());
    expect(config).toMatchObject({ address, namespace: NAMESPACE, source: 'environment' });
    expect(config.tls).toMatchObject({ serverNameOverride: pki.serverName, clientCertPair: expect.anything() });
    const viaClient = await client(standardEnv());
    await assertSearchAttributesRegistered(viaClient, NAMESPACE);
    const described = await viaClient.workflowService.describeNamespace({ namespace: NAMESPACE });
    expect(described.namespaceInfo?.name).toBe(NAMESPACE);
    // The worker's connection is the SDK's Rust core (rustls), not grpc-js: TLS is checked again there.
    const native = await connectWorker(config);
    try {
      const info = await native.workflowService.describeNamespace({ namespace: NAMESPACE });
      expect(info.namespaceInfo?.name).toBe(NAMESPACE);
    } finally {
      await native.close();
    }
  });

  test('from a TOML profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE)', async () => {
    const config = loadTemporalConfig(profileEnv());
    expect(config).toMatchObject({ address, namespace: NAMESPACE, source: expect.stringContaining('profile "tls-test"') });
    const viaProfile = await client(profileEnv());
    await assertSearchAttributesRegistered(viaProfile, NAMESPACE);
  });

  test('a transaction goes through a worker process (variables) and the API process (profile), both on mTLS', async () => {
    pms = await startPmsSimulator({ port: 0, apiKey: DEV_DEFAULTS.PMS_API_KEY });
    zuz = await startZuzSimulator({ port: 0, appId: DEV_DEFAULTS.ZUZ_APP_ID, privateKey: DEV_DEFAULTS.ZUZ_PRIVATE_KEY, timeScale: 0.001 });
    await ensureDatabase(pg!, 'pos');
    const apiPort = await freeLowPort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    zuz.setWebhookUrl(`${apiUrl}/webhooks/zuz`);
    const service: Env = {
      NODE_OPTIONS: '',
      POS_SANDBOX: 'true',
      PAYLOAD_ENCRYPTION: 'off',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      TEMPORAL_TASK_QUEUE: `cluster-tls-${randomUUID()}`,
      DATABASE_URL: postgresUrl(pg!, 'pos'),
      ...DEV_DEFAULTS,
      ZUZ_BASE_URL: zuz.url,
      ZUZ_ENV: 'test',
      PMS_BASE_URL: pms.url,
    };
    const [health, metrics] = [await freeLowPort(), await freeLowPort()];
    const worker = new Child({
      name: 'worker',
      command: process.execPath,
      args: [path.join(dist, 'worker.js')],
      env: { ...standardEnv(), ...service, WORKER_HEALTH_PORT: String(health), WORKER_METRICS_ADDRESS: `127.0.0.1:${metrics}` },
      logFile: path.join(dataDir, 'logs', 'worker.log'),
    });
    children.push(worker);
    await waitFor('worker', () => httpOk(`http://127.0.0.1:${health}/readyz`), 90_000, worker);
    const api = new Child({
      name: 'API',
      command: process.execPath,
      args: [path.join(dist, 'api', 'server.js')],
      env: { ...profileEnv(), ...service, API_HOST: '127.0.0.1', API_PORT: String(apiPort), API_METRICS_ADDRESS: '127.0.0.1:0' },
      logFile: path.join(dataDir, 'logs', 'api.log'),
    });
    children.push(api);
    await waitFor('API', () => httpOk(`${apiUrl}/readyz`), 90_000, api);

    const transactionId = `tls-${randomUUID()}`;
    const headers = { authorization: `Bearer ${DEV_DEFAULTS.API_KEYS}`, 'content-type': 'application/json' };
    const created = await fetch(`${apiUrl}/v1/transactions`, {
      method: 'POST',
      headers: { ...headers, prefer: 'wait=20' },
      body: JSON.stringify({ transactionId, customerId: 'cus_demo', paymentMethodId: 'pm_approved', amount: 1250, currency: 'EUR' }),
    });
    // The decision (authorized) in the answer; the capture follows.
    expect(created.status).toBe(201);
    let view: TransactionView | undefined;
    for (const giveUpAt = Date.now() + 90_000; Date.now() < giveUpAt && !(view && isTerminal(view.status));) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      view = (await (await fetch(`${apiUrl}/v1/transactions/${transactionId}`, { headers })).json()) as TransactionView;
    }
    expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 1250 });
  }, 180_000);

  test('without the CA the connection fails, and says it is TLS and which variables to look at', async () => {
    const { TEMPORAL_TLS_SERVER_CA_CERT_PATH: _ca, ...env } = standardEnv();
    const config = loadTemporalConfig(env);
    const failure = await connectClient(config, [], { connectTimeout: 3_000 }).then(
      () => new Error('connected'),
      (err: Error) => err,
    );
    expect(failure.message).toContain(
      `Cannot connect to Temporal at ${address} (TLS with the system CAs (no TEMPORAL_TLS_SERVER_CA_CERT_PATH), server name ${pki.serverName}, a client certificate; settings from environment)`,
    );
    const because =
      /TLS handshake failed: .*certificate.*: the server certificate is not signed by a CA this client trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it/;
    expect(failure.message).toMatch(because);
    // The worker's connection (the SDK's Rust core) fails too, and is explained the same way.
    await expect(connectWorker(config)).rejects.toThrow(because);
  });

  test('without a client certificate the server refuses the connection (mTLS)', async () => {
    const { TEMPORAL_TLS_CLIENT_CERT_PATH: _crt, TEMPORAL_TLS_CLIENT_KEY_PATH: _key, ...env } = standardEnv();
    await expect(connectClient(loadTemporalConfig(env), [], { connectTimeout: 3_000 })).rejects.toThrow(
      /no client certificate; settings from environment\): .*TLS handshake failed: .*certificate required.*: the server wants a client certificate it trusts \(mTLS\): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/s,
    );
  });

  test('a worker given a missing certificate file stops with one line naming the variable, no stack trace', async () => {
    const logFile = path.join(dataDir, 'logs', 'worker-bad-config.log');
    const worker = new Child({
      name: 'worker (bad config)',
      command: process.execPath,
      args: [path.join(dist, 'worker.js')],
      env: { ...standardEnv(), POS_SANDBOX: 'true', NODE_OPTIONS: '', TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/client.pem' },
      logFile,
    });
    await waitFor('the worker to exit', () => Promise.resolve(!worker.running), 30_000);
    expect(worker.process.exitCode).toBe(1);
    const output = readFileSync(logFile, 'utf8');
    expect(output).toContain('TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read /nonexistent/client.pem: ENOENT');
    expect(output).not.toMatch(/^\s+at /m);
  });
});
