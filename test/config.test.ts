/** Configuration: a bad value stops start-up with a message naming the variable and the problem. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import {
  assertSafeForProduction,
  ConfigError,
  DEFAULT_MERCHANT_ID,
  loadApiConfig,
  loadDatabaseConfig,
  loadFlowOverrides,
  loadMerchantEventsWorkerConfig,
  loadProvidersConfig,
  loadTemporalConfig,
  loadDatabaseStatementTimeout,
  PRODUCTION_RATE_LIMIT_PER_MINUTE,
  productionWarnings,
  SANDBOX_CREDENTIALS,
  type Env,
} from '../src/shared/config';
import { assertSearchAttributesRegistered } from '../src/shared/temporal';
import { createPrivateCa, type PrivateCa } from '../sandbox/cluster/temporal-server';
import { loadDevConfig } from '../sandbox/config';
import { DEV_DEFAULTS } from '../sandbox/local-stack';
import { pmsConfigFromEnv } from '../sandbox/simulators/pms/envConfig';
import { zuzOptionsFromEnv } from '../sandbox/simulators/zuz/envConfig';

function messageOf(load: () => unknown): string {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('defaults give the embedded setup', () => {
  expect(loadTemporalConfig({})).toMatchObject({
    address: 'localhost:7233',
    namespace: 'default',
    taskQueue: 'pos-transactions',
    tls: undefined,
  });
  expect(loadDevConfig({})).toMatchObject({ temporalPort: 7233, temporalUiPort: 8233, simTimeScale: 1 });
  expect(loadDatabaseConfig({})).toHaveProperty('dataDir');
  expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://u@h/db' })).toEqual({ url: 'postgres://u@h/db' });
});

test.each([
  ['TEMPORAL_PORT', () => loadDevConfig({ TEMPORAL_PORT: 'abc' }), 'abc'],
  ['ZUZ_SIM_PORT', () => loadDevConfig({ ZUZ_SIM_PORT: '70000' }), '70000'],
  ['SIM_TIME_SCALE', () => loadDevConfig({ SIM_TIME_SCALE: '-1' }), '-1'],
  ['TEMPORAL_ADDRESS', () => loadTemporalConfig({ TEMPORAL_ADDRESS: 'no-port' }), 'host:port'],
  ['TEMPORAL_TLS', () => loadTemporalConfig({ TEMPORAL_TLS: 'maybe' }), 'true or false'],
  ['DATABASE_URL', () => loadDatabaseConfig({ DATABASE_URL: 'mysql://x' }), 'postgres://'],
  [
    'ZUZ_BASE_URL',
    () => loadProvidersConfig({ PMS_BASE_URL: 'http://p', ZUZ_APP_ID: 'a', ZUZ_PRIVATE_KEY: 'k', PMS_API_KEY: 'k' }),
    'required',
  ],
])('a bad %s is named', (variable, load, hint) => {
  const message = messageOf(load);
  expect(message).toContain(variable);
  expect(message).toContain(hint);
});

test('flow waits can be overridden with durations; a malformed one is named', () => {
  expect(loadFlowOverrides({})).toBeUndefined();
  expect(loadFlowOverrides({ FLOW_WEBHOOK_GRACE_PERIOD: '2s', FLOW_AUTHORIZATION_EXPIRY: '1 day' })).toEqual({
    webhookGracePeriod: '2s',
    authorizationExpiry: '1 day',
  });
  expect(messageOf(() => loadFlowOverrides({ FLOW_CAPTURE_DEADLINE: 'soon' }))).toContain('FLOW_CAPTURE_DEADLINE');
});

test("the merchants' event deliveries: their own task queue (the payments' with -merchant-events) and slots; the payments' queue is refused", () => {
  expect(loadMerchantEventsWorkerConfig({})).toEqual({ taskQueue: 'pos-transactions-merchant-events', maxConcurrentDeliveries: 50 });
  expect(loadMerchantEventsWorkerConfig({ TEMPORAL_TASK_QUEUE: 'shop', WORKER_MAX_CONCURRENT_DELIVERIES: '8' })).toEqual({
    taskQueue: 'shop-merchant-events',
    maxConcurrentDeliveries: 8,
  });
  expect(() => loadMerchantEventsWorkerConfig({ TEMPORAL_TASK_QUEUE: 'shop', TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE: 'shop' })).toThrow(
    /TEMPORAL_MERCHANT_EVENTS_TASK_QUEUE: must differ from TEMPORAL_TASK_QUEUE/,
  );
  expect(() => loadMerchantEventsWorkerConfig({ WORKER_MAX_CONCURRENT_DELIVERIES: '0' })).toThrow(/WORKER_MAX_CONCURRENT_DELIVERIES/);
});

test('the API refuses to start without keys, and never echoes a secret', () => {
  expect(messageOf(() => loadApiConfig({ ZUZ_PRIVATE_KEY: 'k' }))).toContain('API_KEYS');
  const short = messageOf(() => loadApiConfig({ ZUZ_PRIVATE_KEY: 'k', API_KEYS: 'short-secret' }));
  expect(short).toContain('API_KEYS');
  expect(short).not.toContain('short-secret');
});

describe('API_KEYS: merchantId:key entries, or bare keys of the default merchant', () => {
  const api = (API_KEYS: string) => loadApiConfig({ ZUZ_PRIVATE_KEY: 'k', API_KEYS });

  test('bare keys belong to the default merchant, so a list from before merchants still works', () => {
    expect(DEFAULT_MERCHANT_ID).toBe('default');
    expect(api('older-key-0123456789, newer-key-0123456789').apiKeys).toEqual([
      { merchantId: 'default', key: 'older-key-0123456789' },
      { merchantId: 'default', key: 'newer-key-0123456789' },
    ]);
  });

  test('merchantId:key entries, mixed with bare ones; the same key twice for one merchant counts once', () => {
    expect(api('cafe-1:cafe-key-0123456789,bar_2 : bar-key-0123456789,,plain-key-0123456789,cafe-1:cafe-key-0123456789').apiKeys).toEqual([
      { merchantId: 'cafe-1', key: 'cafe-key-0123456789' },
      { merchantId: 'bar_2', key: 'bar-key-0123456789' },
      { merchantId: 'default', key: 'plain-key-0123456789' },
    ]);
  });

  test.each([
    ['a merchant id out of pattern', 'Cafe:cafe-key-0123456789', 'entry 1: the merchant id must match ^[a-z0-9][a-z0-9_-]{0,31}$'],
    ['an empty merchant id', ':cafe-key-0123456789', 'entry 1: the merchant id must match'],
    ['a merchant id over 32 characters', `${'m'.repeat(33)}:cafe-key-0123456789`, 'the merchant id must match'],
    ['a key containing ":"', 'cafe:cafe-key:0123456789', 'entry 1: a key may not contain ":"'],
    ['a short key', 'cafe:short-secret', 'entry 1: each key must be at least 16 characters'],
    [
      'a key listed for two merchants',
      'cafe:shared-key-0123456789,bar:shared-key-0123456789',
      'entry 2: this key is also listed for another merchant',
    ],
    [
      'a bare key also listed for a merchant',
      'shared-key-0123456789,bar:shared-key-0123456789',
      'entry 2: this key is also listed for another merchant',
    ],
    ['no key at all', ' , ', 'must list at least one key'],
  ])('%s is refused, naming API_KEYS and never echoing the value', (_case, value, hint) => {
    const message = messageOf(() => api(value));
    expect(message).toContain('API_KEYS: ');
    expect(message).toContain(hint);
    for (const part of value.split(/[,:]/).filter((p) => p.trim().length > 3)) expect(message).not.toContain(part.trim());
  });
});

test('API_METRICS_ADDRESS: 127.0.0.1:9465 by default, any host:port (0: a free port), a bad one named', () => {
  const base = { ZUZ_PRIVATE_KEY: 'k', API_KEYS: 'test-api-key-0123456789' };
  expect(loadApiConfig(base).metrics).toEqual({ host: '127.0.0.1', port: 9465 });
  expect(loadApiConfig({ ...base, API_METRICS_ADDRESS: '0.0.0.0:0' }).metrics).toEqual({ host: '0.0.0.0', port: 0 });
  expect(messageOf(() => loadApiConfig({ ...base, API_METRICS_ADDRESS: '9465' }))).toContain('API_METRICS_ADDRESS: must be host:port');
  expect(messageOf(() => loadApiConfig({ ...base, API_METRICS_ADDRESS: 'localhost:70000' }))).toContain(
    'API_METRICS_ADDRESS: the port must be 0-65535',
  );
});

test('API_RATE_LIMIT_PER_MINUTE: a positive integer or off; unset, on in production (NODE_ENV=production) and off elsewhere or in the sandbox (issue 38)', () => {
  const base = { ZUZ_PRIVATE_KEY: 'k', API_KEYS: 'test-api-key-0123456789', NODE_ENV: 'production' };
  expect(loadApiConfig({ ...base, POS_SANDBOX: 'true' }).rateLimitPerMinute).toBeUndefined();
  expect(loadApiConfig({ ...base, NODE_ENV: undefined }).rateLimitPerMinute).toBeUndefined(); // npm start, the tests
  expect(loadApiConfig(base).rateLimitPerMinute).toBe(PRODUCTION_RATE_LIMIT_PER_MINUTE);
  expect(loadApiConfig({ ...base, API_RATE_LIMIT_PER_MINUTE: '600' }).rateLimitPerMinute).toBe(600);
  expect(messageOf(() => loadApiConfig({ ...base, API_RATE_LIMIT_PER_MINUTE: '0' }))).toContain('API_RATE_LIMIT_PER_MINUTE: must be > 0');
});

describe('production entry points refuse what is safe only against the simulators', () => {
  const long = (name: string) => `${name}-${'x'.repeat(32)}`;
  /** What a real deployment sets: long secrets, https providers, an explicit Zuz environment. */
  const production: Env = {
    API_KEYS: `cafe:${long('cafe-key')},${long('bare-key')}`,
    ZUZ_PRIVATE_KEY: long('zuz-key'),
    ZUZ_BASE_URL: 'https://api.zuz.example',
    ZUZ_ENV: 'live',
    PMS_BASE_URL: 'https://pms.example',
    PMS_API_KEY: long('pms-key'),
    // Payload encryption is production's default: without keys both entry points refuse (test/payload-encryption.test.ts).
    PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    DATABASE_URL: 'postgres://pos@db.example/pos?sslmode=verify-full',
    // Issue 38 finding 3: every transport says where its TLS is.
    API_TLS_TERMINATED_BY: 'proxy',
    TEMPORAL_TLS: 'true',
    API_CURSOR_KEY: Buffer.alloc(32, 9).toString('base64'),
  };
  /** The message an entry point stops with. */
  const refusal = (entryPoint: 'api' | 'worker', env: Env) => messageOf(() => assertSafeForProduction(entryPoint, env));

  test('a production environment passes both', () => {
    expect(assertSafeForProduction('api', production)).toBe('checked');
    expect(assertSafeForProduction('worker', production)).toBe('checked');
    // 32 bytes exactly is enough; multi-byte characters count as their bytes.
    expect(assertSafeForProduction('api', { ...production, API_KEYS: 'k'.repeat(32), ZUZ_PRIVATE_KEY: 'é'.repeat(16) })).toBe('checked');
  });

  test.each([
    ['api', { API_KEYS: `${SANDBOX_CREDENTIALS.API_KEYS},${long('other')}` }, 'API_KEYS: has a key the published sandbox credential'],
    ['api', { API_KEYS: `${long('ok')},cafe:${'k'.repeat(31)}` }, 'API_KEYS: has a key shorter than 32 bytes'],
    ['api', { ZUZ_PRIVATE_KEY: SANDBOX_CREDENTIALS.ZUZ_PRIVATE_KEY }, 'ZUZ_PRIVATE_KEY: is the published sandbox credential'],
    ['api', { ZUZ_PRIVATE_KEY: 'é'.repeat(15) + 'x' }, 'ZUZ_PRIVATE_KEY: is shorter than 32 bytes'],
    ['worker', { ZUZ_PRIVATE_KEY: SANDBOX_CREDENTIALS.ZUZ_PRIVATE_KEY }, 'ZUZ_PRIVATE_KEY: is the published sandbox credential'],
    ['worker', { ZUZ_PRIVATE_KEY: 'z'.repeat(31) }, 'ZUZ_PRIVATE_KEY: is shorter than 32 bytes'],
    ['worker', { PMS_API_KEY: SANDBOX_CREDENTIALS.PMS_API_KEY }, 'PMS_API_KEY: is the published sandbox credential'],
    ['worker', { PMS_API_KEY: 'p'.repeat(31) }, 'PMS_API_KEY: is shorter than 32 bytes'],
    ['worker', { ZUZ_BASE_URL: 'http://api.zuz.example' }, 'ZUZ_BASE_URL: must be an https:// URL'],
    ['worker', { PMS_BASE_URL: 'http://pms.example' }, 'PMS_BASE_URL: must be an https:// URL'],
    ['worker', { ZUZ_ENV: undefined }, 'ZUZ_ENV: must be set explicitly'],
    ['worker', { ZUZ_ENV: '' }, 'ZUZ_ENV: must be set explicitly'],
    // Without it each process would open its own embedded database (issue 31, finding 7).
    ['api', { DATABASE_URL: undefined }, 'DATABASE_URL: must be set'],
    ['worker', { DATABASE_URL: '' }, 'DATABASE_URL: must be set'],
    // Issue 38 finding 3: plain transports only when something else encrypts them, and said so.
    ['api', { API_TLS_TERMINATED_BY: undefined }, 'API_TLS_TERMINATED_BY: must be set to proxy: the API serves plain HTTP'],
    ['api', { API_TLS_TERMINATED_BY: 'nobody' }, 'API_TLS_TERMINATED_BY: must be proxy (got "nobody")'],
    ['api', { TEMPORAL_TLS: undefined }, 'TEMPORAL_TLS: the connection to Temporal is plaintext'],
    ['worker', { TEMPORAL_TLS: 'false' }, 'TEMPORAL_TLS: the connection to Temporal is plaintext'],
    ['worker', { TEMPORAL_TLS: undefined, TEMPORAL_TLS_TERMINATED_BY: 'yes' }, 'TEMPORAL_TLS_TERMINATED_BY: must be proxy'],
    ['api', { DATABASE_URL: 'postgres://pos@db.example/pos' }, 'DATABASE_URL: must ask for TLS'],
    ['worker', { DATABASE_URL: 'postgres://pos@db.example/pos?sslmode=prefer' }, 'DATABASE_URL: must ask for TLS'],
    ['worker', { DATABASE_URL: 'postgres://pos@db.example/pos?sslmode=disable' }, 'DATABASE_URL: must ask for TLS'],
    // Issue 38 finding 7: the cursors' key is its own, the same in every API process.
    ['api', { API_CURSOR_KEY: undefined }, 'API_CURSOR_KEY: must be set'],
  ] as const)('%s: %j is refused', (entryPoint, override, expected) => {
    const message = refusal(entryPoint, { ...production, ...override });
    expect(message).toContain(expected);
    expect(message.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(1); // only that variable
    for (const value of Object.values(override)) if (value && /key/i.test(expected)) expect(message).not.toContain(value);
  });

  test('plain transports pass when the deployment says a proxy or sidecar encrypts them (issue 38, finding 3)', () => {
    const elsewhere: Env = {
      ...production,
      TEMPORAL_TLS: undefined,
      TEMPORAL_TLS_TERMINATED_BY: 'proxy',
      DATABASE_URL: 'postgres://pos@127.0.0.1/pos',
      DATABASE_TLS_TERMINATED_BY: 'proxy',
    };
    expect(assertSafeForProduction('api', elsewhere)).toBe('checked');
    expect(assertSafeForProduction('worker', elsewhere)).toBe('checked');
    // TLS by other means: an API key (Temporal Cloud), ssl=true, sslmode=require.
    const other: Env = {
      ...production,
      TEMPORAL_TLS: undefined,
      TEMPORAL_API_KEY: 'k'.repeat(40),
      DATABASE_URL: 'postgres://h/pos?ssl=true',
    };
    expect(assertSafeForProduction('worker', other)).toBe('checked');
    expect(assertSafeForProduction('worker', { ...production, DATABASE_URL: 'postgres://h/pos?sslmode=require' })).toBe('checked');
  });

  test('a bare key in API_KEYS is accepted with a warning naming the default merchant, never the key (issue 38, finding 3)', () => {
    const warnings = productionWarnings('api', production);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('API_KEYS: 1 key(s) without a merchant');
    expect(warnings[0]).toContain(`"${DEFAULT_MERCHANT_ID}" merchant`);
    expect(warnings[0]).not.toContain('bare-key');
    expect(productionWarnings('api', { ...production, API_KEYS: `cafe:${long('cafe-key')}` })).toEqual([]);
    expect(productionWarnings('api', { ...production, POS_SANDBOX: 'true' })).toEqual([]);
    expect(productionWarnings('worker', production)).toEqual([]);
  });

  test('every problem is listed in one error', () => {
    const sandbox: Env = {
      API_KEYS: SANDBOX_CREDENTIALS.API_KEYS,
      ZUZ_PRIVATE_KEY: SANDBOX_CREDENTIALS.ZUZ_PRIVATE_KEY,
      PMS_API_KEY: SANDBOX_CREDENTIALS.PMS_API_KEY,
      ZUZ_BASE_URL: 'http://127.0.0.1:4100',
      PMS_BASE_URL: 'http://127.0.0.1:4200',
    };
    const worker = refusal('worker', sandbox);
    for (const name of ['ZUZ_PRIVATE_KEY', 'PMS_API_KEY', 'ZUZ_BASE_URL', 'PMS_BASE_URL', 'ZUZ_ENV'])
      expect(worker).toContain(`  ${name}: `);
    expect(worker).not.toContain('API_KEYS'); // the worker takes no API keys
    const api = refusal('api', sandbox);
    expect(api).toContain('  API_KEYS: ');
    expect(api).toContain('  ZUZ_PRIVATE_KEY: ');
    // The API neither calls PMS nor Zuz: their URLs, PMS key and Zuz environment are the worker's concern.
    for (const name of ['PMS_API_KEY', 'ZUZ_BASE_URL', 'PMS_BASE_URL', 'ZUZ_ENV']) expect(api).not.toContain(name);
  });

  test('POS_SANDBOX=true lifts every check (the entry points log the `skipped`); a malformed POS_SANDBOX is named', () => {
    const sandbox: Env = { ...DEV_DEFAULTS, ZUZ_BASE_URL: 'http://127.0.0.1:4100', PMS_BASE_URL: 'http://127.0.0.1:4200' };
    expect(assertSafeForProduction('api', { ...sandbox, POS_SANDBOX: 'true' })).toBe('skipped');
    expect(assertSafeForProduction('worker', { ...sandbox, POS_SANDBOX: 'true' })).toBe('skipped');
    expect(() => assertSafeForProduction('worker', { ...sandbox, POS_SANDBOX: 'false' })).toThrow(ConfigError);
    expect(messageOf(() => assertSafeForProduction('api', { ...production, POS_SANDBOX: 'yes' }))).toContain(
      'POS_SANDBOX: must be true or false',
    );
  });

  test('the published credentials checked are the ones the sandbox really publishes', () => {
    expect(SANDBOX_CREDENTIALS.API_KEYS).toBe(DEV_DEFAULTS.API_KEYS);
    expect(SANDBOX_CREDENTIALS.ZUZ_PRIVATE_KEY).toBe(DEV_DEFAULTS.ZUZ_PRIVATE_KEY);
    expect(SANDBOX_CREDENTIALS.PMS_API_KEY).toBe(DEV_DEFAULTS.PMS_API_KEY);
    const zuz = zuzOptionsFromEnv({});
    const pms = pmsConfigFromEnv({});
    expect(zuz.ok && zuz.value.privateKey).toBe(SANDBOX_CREDENTIALS.ZUZ_PRIVATE_KEY);
    expect(pms.ok && pms.value.apiKey).toBe(SANDBOX_CREDENTIALS.PMS_API_KEY);
  });
});

describe('the Temporal connection: @temporalio/envconfig, the variables and TOML profiles of the temporal CLI', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pos-config-test-'));
  let pki: PrivateCa;
  let other: PrivateCa;

  beforeAll(async () => {
    mkdirSync(path.join(dir, 'pki'));
    mkdirSync(path.join(dir, 'other'));
    [pki, other] = [await createPrivateCa(path.join(dir, 'pki')), await createPrivateCa(path.join(dir, 'other'))];
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pem = (file: string) => readFileSync(file);
  const toml = (name: string, lines: string[]) => {
    const file = path.join(dir, name);
    writeFileSync(file, lines.join('\n'));
    return file;
  };

  test('defaults: localhost:7233, namespace default, no TLS, the search attribute check on; empty variables count as unset', () => {
    expect(loadTemporalConfig({ TEMPORAL_ADDRESS: '', TEMPORAL_API_KEY: '', TEMPORAL_TLS_CLIENT_CERT_PATH: '' })).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'pos-transactions',
      apiKey: undefined,
      tls: undefined,
      grpcMetadata: undefined,
      checkSearchAttributes: true,
      source: 'environment',
      payloadEncryption: undefined,
    });
  });

  test('the standard variables: a private CA, the server name, a client certificate (files read at load)', () => {
    const config = loadTemporalConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'payments',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caFile,
      TEMPORAL_TLS_SERVER_NAME: pki.serverName,
      TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certFile,
      TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyFile,
      TEMPORAL_GRPC_META_X_ROUTE: 'eu',
    });
    expect(config).toMatchObject({ address: 'temporal.internal:7233', namespace: 'payments', grpcMetadata: { 'x-route': 'eu' } });
    expect(config.tls).toEqual({
      serverNameOverride: pki.serverName,
      serverRootCACertificate: pem(pki.caFile),
      clientCertPair: { crt: pem(pki.client.certFile), key: pem(pki.client.keyFile) },
    });
  });

  test('PEM in variables (_DATA), as for a secret store', () => {
    const config = loadTemporalConfig({
      TEMPORAL_TLS_SERVER_CA_CERT_DATA: pem(pki.caFile).toString(),
      TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.client.certFile).toString(),
      TEMPORAL_TLS_CLIENT_KEY_DATA: pem(pki.client.keyFile).toString(),
    });
    expect(config.tls?.serverRootCACertificate).toEqual(pem(pki.caFile));
    expect(config.tls?.clientCertPair?.key).toEqual(pem(pki.client.keyFile));
  });

  test('TLS as the SDK decides it: an API key implies TLS (system CAs), TEMPORAL_TLS=false outranks everything', () => {
    expect(loadTemporalConfig({ TEMPORAL_API_KEY: 'k' })).toMatchObject({ apiKey: 'k', tls: {} });
    expect(loadTemporalConfig({ TEMPORAL_TLS: 'TRUE' }).tls).toEqual({});
    expect(loadTemporalConfig({ TEMPORAL_TLS: '1', TEMPORAL_TLS_SERVER_NAME: 'x.example' }).tls).toEqual({
      serverNameOverride: 'x.example',
    });
    expect(loadTemporalConfig({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }).tls).toBeUndefined();
    // TLS off: the files are not even read.
    expect(loadTemporalConfig({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent' }).tls).toBeUndefined();
  });

  test('a TOML profile (TEMPORAL_CONFIG_FILE + TEMPORAL_PROFILE), which the variables override one by one', () => {
    const file = toml('profiles.toml', [
      '[profile.default]',
      'address = "localhost:7233"',
      '[profile.prod]',
      'address = "prod.internal:7233"',
      'namespace = "payments"',
      'api_key = "from-the-file"',
      '[profile.prod.tls]',
      `server_ca_cert_path = "${pki.caFile}"`,
      `server_name = "${pki.serverName}"`,
      `client_cert_path = "${pki.client.certFile}"`,
      `client_key_path = "${pki.client.keyFile}"`,
      '[profile.prod.grpc_meta]',
      'x-team = "pos"',
    ]);
    const config = loadTemporalConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(config).toMatchObject({
      address: 'prod.internal:7233',
      namespace: 'payments',
      apiKey: 'from-the-file',
      grpcMetadata: { 'x-team': 'pos' },
      source: `profile "prod" of ${file}`,
    });
    expect(config.tls).toEqual({
      serverNameOverride: pki.serverName,
      serverRootCACertificate: pem(pki.caFile),
      clientCertPair: { crt: pem(pki.client.certFile), key: pem(pki.client.keyFile) },
    });
    const overridden = loadTemporalConfig({
      TEMPORAL_CONFIG_FILE: file,
      TEMPORAL_PROFILE: 'prod',
      TEMPORAL_ADDRESS: 'other.internal:7233',
      TEMPORAL_TLS_SERVER_NAME: 'other.example',
    });
    expect(overridden).toMatchObject({
      address: 'other.internal:7233',
      namespace: 'payments',
      tls: { serverNameOverride: 'other.example' },
    });
    // Without TEMPORAL_PROFILE: the profile named default.
    expect(loadTemporalConfig({ TEMPORAL_CONFIG_FILE: file })).toMatchObject({ address: 'localhost:7233', tls: undefined });
  });

  test('the default file: ~/.config/temporalio/temporal.toml (XDG_CONFIG_HOME), as the CLI finds it; none there is no profile', () => {
    mkdirSync(path.join(dir, 'xdg', 'temporalio'), { recursive: true });
    writeFileSync(path.join(dir, 'xdg', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "from-default-file:7233"\n');
    expect(loadTemporalConfig({ XDG_CONFIG_HOME: path.join(dir, 'xdg') }).address).toBe('from-default-file:7233');
    expect(loadTemporalConfig({ HOME: path.join(dir, 'no-such-home') }).address).toBe('localhost:7233');
    // An empty file (what the sandboxes give their processes: /dev/null) has no profile.
    expect(loadTemporalConfig({ TEMPORAL_CONFIG_FILE: '/dev/null', XDG_CONFIG_HOME: path.join(dir, 'xdg') }).address).toBe(
      'localhost:7233',
    );
  });

  test.each([
    [
      'a missing certificate file',
      () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/x', TEMPORAL_TLS_CLIENT_KEY_PATH: pki.client.keyFile }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read /x: ENOENT',
    ],
    [
      'a missing CA file',
      () => ({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'nope.pem') }),
      `TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${path.join(dir, 'nope.pem')}: ENOENT`,
    ],
    [
      'a certificate without its key',
      () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certFile }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: the client certificate and key go together: set both or neither',
    ],
    [
      'a CA file that is no certificate',
      () => ({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.client.keyFile }),
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH: is not a PEM certificate',
    ],
    [
      "another certificate's key",
      () => ({ TEMPORAL_TLS_CLIENT_CERT_PATH: pki.client.certFile, TEMPORAL_TLS_CLIENT_KEY_PATH: other.client.keyFile }),
      'TEMPORAL_TLS_CLIENT_KEY_PATH: is not the private key of the client certificate',
    ],
    [
      'a key that is no key',
      () => ({ TEMPORAL_TLS_CLIENT_CERT_DATA: pem(pki.client.certFile).toString(), TEMPORAL_TLS_CLIENT_KEY_DATA: 'not a key' }),
      'TEMPORAL_TLS_CLIENT_KEY_DATA: is not an unencrypted PEM private key',
    ],
    ['a malformed TEMPORAL_TLS', () => ({ TEMPORAL_TLS: 'yes' }), 'TEMPORAL_TLS: must be true or false'],
    ['an address without a port', () => ({ TEMPORAL_ADDRESS: 'temporal.internal' }), 'TEMPORAL_ADDRESS: must be host:port'],
    [
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION=true',
      () => ({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }),
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: is not supported by the TypeScript SDK: set TEMPORAL_TLS_SERVER_NAME',
    ],
    [
      'a missing TEMPORAL_CONFIG_FILE',
      () => ({ TEMPORAL_CONFIG_FILE: path.join(dir, 'missing.toml') }),
      `TEMPORAL_CONFIG_FILE: cannot read ${path.join(dir, 'missing.toml')}: ENOENT`,
    ],
    [
      'a file that is not TOML',
      () => ({ TEMPORAL_CONFIG_FILE: toml('broken.toml', ['[profile.default', 'address = 1']) }),
      'TEMPORAL_CONFIG_FILE: ',
    ],
    [
      'an unknown profile',
      () => ({ TEMPORAL_CONFIG_FILE: toml('two.toml', ['[profile.default]', '[profile.staging]']), TEMPORAL_PROFILE: 'prod' }),
      `TEMPORAL_PROFILE: no profile "prod" in ${path.join(dir, 'two.toml')} (it has "default", "staging")`,
    ],
    ['a profile without a file', () => ({ TEMPORAL_PROFILE: 'prod' }), 'TEMPORAL_PROFILE: no config file to take profile "prod" from'],
    [
      "a profile's missing file, named by its TOML key",
      () => ({
        TEMPORAL_CONFIG_FILE: toml('bad-path.toml', ['[profile.prod.tls]', 'server_ca_cert_path = "/etc/missing-ca.pem"']),
        TEMPORAL_PROFILE: 'prod',
      }),
      `tls.server_ca_cert_path (profile "prod" of ${path.join(dir, 'bad-path.toml')}): cannot read /etc/missing-ca.pem: ENOENT`,
    ],
    [
      "the profile's path beside a variable's data",
      () => ({
        TEMPORAL_CONFIG_FILE: toml('path.toml', ['[profile.default.tls]', `client_cert_path = "${pki.client.certFile}"`]),
        TEMPORAL_TLS_CLIENT_CERT_DATA: 'x',
      }),
      'Cannot specify both client_cert_path and client_cert_data',
    ],
    [
      'TEMPORAL_SEARCH_ATTRIBUTE_CHECK',
      () => ({ TEMPORAL_SEARCH_ATTRIBUTE_CHECK: 'skip' }),
      'TEMPORAL_SEARCH_ATTRIBUTE_CHECK: must be on or off',
    ],
  ])('%s is named, without a stack trace', (_what, env, expected) => {
    const message = messageOf(() => loadTemporalConfig(env()));
    expect(message).toContain(expected);
    expect(message).not.toMatch(/^\s+at /m);
  });

  test.each([
    ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_CLIENT_CERT_PATH'],
    ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CLIENT_KEY_PATH'],
    ['TEMPORAL_TLS_CA', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'],
  ])('the old name %s is refused, naming %s', (old, name) => {
    expect(messageOf(() => loadTemporalConfig({ [old]: '/etc/pos/file.pem' }))).toContain(`${old}: is no longer read: set ${name}`);
  });

  test('an API key is never shown in an error', () => {
    const message = messageOf(() => loadTemporalConfig({ TEMPORAL_API_KEY: 'secret-api-key', TEMPORAL_ADDRESS: 'no-port' }));
    expect(message).not.toContain('secret-api-key');
  });

  test('TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off turns the worker start-up check off', () => {
    expect(loadTemporalConfig({}).checkSearchAttributes).toBe(true);
    expect(loadTemporalConfig({ TEMPORAL_SEARCH_ATTRIBUTE_CHECK: 'off' }).checkSearchAttributes).toBe(false);
  });

  /** A client whose OperatorService answers `listSearchAttributes` with `answer`. */
  const clientAnswering = (answer: () => Promise<unknown>) =>
    ({ connection: { operatorService: { listSearchAttributes: answer } } }) as unknown as Client;

  test.each([
    [7, 'PERMISSION_DENIED'],
    [12, 'UNIMPLEMENTED'],
  ])(
    'where the OperatorService is refused (%s, as Temporal Cloud), the check says how to create the attributes and how to skip it',
    async (code, name) => {
      const refusing = clientAnswering(() =>
        Promise.reject(Object.assign(new Error(`${code} ${name}: Request unauthorized.`), { code, details: 'Request unauthorized.' })),
      );
      const error = await assertSearchAttributesRegistered(refusing, 'payments.a1b2c').catch((err: Error) => err);
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain(`(${name}: Request unauthorized.)`);
      expect(message).toContain('TransactionStatus (Keyword), CustomerId (Keyword), TransactionAmount (Int), MerchantId (Keyword)');
      expect(message).toContain(
        'tcld namespace search-attributes add --namespace payments.a1b2c --search-attribute TransactionStatus=Keyword --search-attribute CustomerId=Keyword --search-attribute TransactionAmount=Int --search-attribute MerchantId=Keyword',
      );
      expect(message).toContain('Cloud UI');
      expect(message).toContain('set TEMPORAL_SEARCH_ATTRIBUTE_CHECK=off');
    },
  );

  test('missing search attributes are named, with the commands that create them; other failures pass through', async () => {
    const some = clientAnswering(() => Promise.resolve({ customAttributes: { TransactionStatus: 2, CustomerId: 2 } }));
    const message = await assertSearchAttributesRegistered(some, 'default').catch((err: Error) => err.message);
    expect(message).toContain('Namespace "default" lacks the search attributes TransactionAmount, MerchantId');
    expect(message).toContain(
      'temporal operator search-attribute create --namespace default --name TransactionAmount --type Int --name MerchantId --type Keyword',
    );
    const unavailable = clientAnswering(() => Promise.reject(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 })));
    await expect(assertSearchAttributesRegistered(unavailable, 'default')).rejects.toThrow('14 UNAVAILABLE');
  });
});

describe('the API bounds what one caller can take (issue 38, findings 2 and 7)', () => {
  const base: Env = { API_KEYS: 'cafe:cafe-key-0123456789', ZUZ_PRIVATE_KEY: 'k', NODE_ENV: 'production' };
  test('a per-key rate limit is on by default in production, off with POS_SANDBOX=true or API_RATE_LIMIT_PER_MINUTE=off', () => {
    expect(loadApiConfig(base).rateLimitPerMinute).toBe(PRODUCTION_RATE_LIMIT_PER_MINUTE);
    expect(loadApiConfig({ ...base, POS_SANDBOX: 'true' }).rateLimitPerMinute).toBeUndefined();
    expect(loadApiConfig({ ...base, API_RATE_LIMIT_PER_MINUTE: 'off' }).rateLimitPerMinute).toBeUndefined();
    expect(loadApiConfig({ ...base, API_RATE_LIMIT_PER_MINUTE: '50' }).rateLimitPerMinute).toBe(50);
    expect(messageOf(() => loadApiConfig({ ...base, API_RATE_LIMIT_PER_MINUTE: 'lots' }))).toContain('API_RATE_LIMIT_PER_MINUTE');
  });

  test('lists per merchant at once and failed authentications per address have defaults and are configurable', () => {
    expect(loadApiConfig(base)).toMatchObject({ listConcurrencyPerMerchant: 2, failedAuthLimitPerMinute: 30 });
    expect(loadApiConfig({ ...base, API_LIST_CONCURRENCY_PER_MERCHANT: '4', API_FAILED_AUTH_LIMIT_PER_MINUTE: '10' })).toMatchObject({
      listConcurrencyPerMerchant: 4,
      failedAuthLimitPerMinute: 10,
    });
    expect(messageOf(() => loadApiConfig({ ...base, API_LIST_CONCURRENCY_PER_MERCHANT: '0' }))).toContain(
      'API_LIST_CONCURRENCY_PER_MERCHANT',
    );
  });

  test('the cursor key is API_CURSOR_KEY (32 bytes of base64, never echoed), else a random one per process', () => {
    const key = Buffer.alloc(32, 3).toString('base64');
    expect(loadApiConfig({ ...base, API_CURSOR_KEY: key }).cursorKey).toEqual(Buffer.alloc(32, 3));
    expect(loadApiConfig(base).cursorKey).not.toEqual(loadApiConfig(base).cursorKey);
    const message = messageOf(() => loadApiConfig({ ...base, API_CURSOR_KEY: 'c2hvcnQ=' }));
    expect(message).toContain('API_CURSOR_KEY: must be 32 bytes in base64');
    expect(message).not.toContain('c2hvcnQ=');
  });

  test('statement_timeout: 5 s by default, configurable, off on request', () => {
    expect(loadDatabaseStatementTimeout({})).toBe(5000);
    expect(loadDatabaseStatementTimeout({ DATABASE_STATEMENT_TIMEOUT: '2s' })).toBe(2000);
    expect(loadDatabaseStatementTimeout({ DATABASE_STATEMENT_TIMEOUT: 'off' })).toBe(0);
    expect(messageOf(() => loadDatabaseStatementTimeout({ DATABASE_STATEMENT_TIMEOUT: 'soon' }))).toContain('DATABASE_STATEMENT_TIMEOUT');
  });
});
