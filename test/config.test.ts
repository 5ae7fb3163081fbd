/** Configuration: a bad value stops start-up with a message naming the variable and the problem. */
import { ConfigError, loadApiConfig, loadDatabaseConfig, loadFlowOverrides, loadProvidersConfig, loadTemporalConfig } from '../src/config';
import { loadDevConfig } from '../sandbox/config';

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
