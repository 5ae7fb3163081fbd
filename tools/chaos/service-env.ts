/**
 * The environment of the worker and API processes, as a deployment would set it: the stack's
 * addresses, credentials the simulators accept, quiet logs, and the flow's waits shortened so
 * that every kind of transaction ends in seconds.
 */
import { randomUUID } from 'node:crypto';
import { throwawayEncryptionEnv } from '../../sandbox/payload-keys';

export const API_KEY = 'chaos-api-key-0123456789';
/** A second merchant's key: it drives nothing, and tries to see or touch the first merchant's transactions (merchants-isolated). */
export const OTHER_MERCHANT_KEY = 'chaos-other-merchant-key-0123456789';
export const ZUZ_CREDENTIALS = { appId: 'chaos-app', privateKey: 'chaos-zuz-private-key' };
export const PMS_API_KEY = 'chaos-pms-key';

/** Passed by the API to each transaction it starts. */
export const FLOW_ENV = {
  FLOW_WEBHOOK_GRACE_PERIOD: '2s',
  FLOW_POLL_INITIAL_INTERVAL: '500ms',
  FLOW_POLL_MAX_INTERVAL: '2s',
  FLOW_AUTHORIZATION_DEADLINE: '2m',
  FLOW_CAPTURE_DEADLINE: '2m',
  FLOW_AUTHORIZATION_EXPIRY: '20s',
  // Shorter than any pending refund takes at Zuz: each ends pending at its deadline, for the closing reconciliation to settle.
  FLOW_REFUND_DEADLINE: '1ms',
};
export const AUTHORIZATION_EXPIRY_MS = 20_000;

export interface StackAddresses {
  temporalAddress: string;
  databaseUrl: string;
  zuzUrl: string;
  pmsUrl: string;
  apiPort: number;
}

export function serviceEnvironment(addresses: StackAddresses): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_OPTIONS: '', // e.g. jest's --experimental-vm-modules is not for the services
    POS_SANDBOX: 'true', // the simulators: http:// URLs and short keys, which production refuses
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    TEMPORAL_ADDRESS: addresses.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    // Whatever the caller's shell says, this stack is plain loopback with no tracing (and no
    // Temporal profile: /dev/null, not ~/.config/temporalio/temporal.toml).
    TEMPORAL_CONFIG_FILE: '/dev/null',
    TEMPORAL_PROFILE: '',
    TEMPORAL_API_KEY: '',
    TEMPORAL_TLS: 'false',
    TEMPORAL_TLS_CLIENT_CERT_PATH: '',
    TEMPORAL_TLS_CLIENT_KEY_PATH: '',
    OTEL_TRACES_EXPORTER: 'none',
    DATABASE_URL: addresses.databaseUrl,
    ZUZ_BASE_URL: addresses.zuzUrl,
    ZUZ_APP_ID: ZUZ_CREDENTIALS.appId,
    ZUZ_PRIVATE_KEY: ZUZ_CREDENTIALS.privateKey,
    ZUZ_ENV: 'test',
    PMS_BASE_URL: addresses.pmsUrl,
    PMS_API_KEY,
    API_HOST: '127.0.0.1',
    API_PORT: String(addresses.apiPort),
    API_KEYS: `${API_KEY},chaos-other:${OTHER_MERCHANT_KEY}`,
    API_METRICS_ADDRESS: '127.0.0.1:0', // a free port each start: nothing here scrapes the API
    // Every chaos transaction is cus_demo's: risk screening must never be what declines one.
    RISK_MAX_TRANSACTIONS_PER_HOUR: '1000000000',
    RISK_MAX_AMOUNT_PER_DAY: '1000000000000',
    WORKER_SHUTDOWN_GRACE_SECONDS: '2',
    // Encrypted payloads, as production runs (one key per run, shared by every process of it).
    PAYLOAD_ENCRYPTION: 'on',
    ...throwawayEncryptionEnv(),
    CODEC_SERVER_ADDRESS: '',
    ...FLOW_ENV,
  };
}
