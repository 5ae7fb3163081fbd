/** Configuration: a bad value stops start-up with a message naming the variable and the problem. */
import {
  assertSafeForProduction,
  ConfigError,
  DEFAULT_MERCHANT_ID,
  loadApiConfig,
  loadDatabaseConfig,
  loadFlowOverrides,
  loadProvidersConfig,
  loadTemporalConfig,
  SANDBOX_CREDENTIALS,
  type Env,
} from '../src/config';
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

test('API_RATE_LIMIT_PER_MINUTE: off unless set; a positive integer', () => {
  const base = { ZUZ_PRIVATE_KEY: 'k', API_KEYS: 'test-api-key-0123456789' };
  expect(loadApiConfig(base).rateLimitPerMinute).toBeUndefined();
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
  ] as const)('%s: %j is refused', (entryPoint, override, expected) => {
    const message = refusal(entryPoint, { ...production, ...override });
    expect(message).toContain(expected);
    expect(message.split('\n').filter((line) => line.startsWith('  '))).toHaveLength(1); // only that variable
    for (const value of Object.values(override)) if (value && /key/i.test(expected)) expect(message).not.toContain(value);
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
