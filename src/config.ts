/**
 * Configuration from environment variables, validated once at start. A bad value stops the
 * process with a message naming the variable and what is wrong, never a stack trace.
 */
import path from 'node:path';
import { z } from 'zod';
import type { Duration } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import ms, { type StringValue } from 'ms';
import { DEFAULT_MERCHANT_ID, MERCHANT_ID_PATTERN } from './domain/merchant';
import { KEY_ID_PATTERN, PAYLOAD_KEY_BYTES, PayloadKeyring, type PayloadEncryptionConfig } from './infrastructure/payload-codec';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be an integer')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');
const positiveInt = z.coerce.number({ error: 'must be a number' }).int('must be an integer').positive('must be > 0');
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
export const nonEmpty = z.string().min(1, 'must not be empty');
const bool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

export function parse<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  // Empty strings count as unset, as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const given = cleaned[name];
    return `  ${name}: ${issue.code === 'invalid_type' && given === undefined ? 'is required' : issue.message}${given !== undefined ? ` (got "${redactIfSecret(name, given)}")` : ''}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

function redactIfSecret(name: string, value: string): string {
  return /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/.test(name) ? '***' : value;
}

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
  TEMPORAL_NAMESPACE: nonEmpty.default('default'),
  TEMPORAL_TASK_QUEUE: nonEmpty.default('pos-transactions'),
  TEMPORAL_API_KEY: nonEmpty.optional(),
  TEMPORAL_TLS: bool.default(false),
  TEMPORAL_TLS_CERT: nonEmpty.optional(),
  TEMPORAL_TLS_KEY: nonEmpty.optional(),
});

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: { clientCertPath?: string; clientKeyPath?: string };
  /** The payload keys every client and worker of this config encrypts and decrypts with; undefined: payloads in clear. */
  payloadEncryption?: PayloadEncryptionConfig;
}

/** Every Temporal connection of the service reads the same keys: one config, so a client and a worker never disagree. */
export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const payloadEncryption = loadPayloadEncryption(env);
  const c = parse(temporalSchema, env);
  if (!!c.TEMPORAL_TLS_CERT !== !!c.TEMPORAL_TLS_KEY) {
    throw new ConfigError('Invalid configuration:\n  TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY: set both or neither');
  }
  const useTls = c.TEMPORAL_TLS || !!c.TEMPORAL_TLS_CERT || !!c.TEMPORAL_API_KEY;
  return {
    address: c.TEMPORAL_ADDRESS,
    namespace: c.TEMPORAL_NAMESPACE,
    taskQueue: c.TEMPORAL_TASK_QUEUE,
    apiKey: c.TEMPORAL_API_KEY,
    tls: useTls ? { clientCertPath: c.TEMPORAL_TLS_CERT, clientKeyPath: c.TEMPORAL_TLS_KEY } : undefined,
    payloadEncryption,
  };
}

/** Standard base64 of exactly `bytes` bytes (what `openssl rand -base64 32` prints). */
function base64Key(value: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.length === bytes ? key : undefined;
}

/**
 * PAYLOAD_ENCRYPTION_KEYS: comma-separated `keyId:base64` entries of 32-byte keys. The LAST one
 * encrypts new payloads; every one listed decrypts (so rotation appends a key and keeps the old
 * ones). Errors name the entry by position and never show it: an entry is a secret.
 */
const payloadKeys = z.string().transform((value, ctx): PayloadKeyring => {
  const fail = (message: string) => {
    ctx.issues.push({ code: 'custom', message, input: value });
    return z.NEVER;
  };
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!entries.length) return fail('must list at least one keyId:base64-key entry');
  const keys: Array<{ id: string; key: Buffer }> = [];
  for (const [index, entry] of entries.entries()) {
    const at = entry.indexOf(':');
    const id = at > 0 ? entry.slice(0, at) : '';
    if (!KEY_ID_PATTERN.test(id)) return fail(`entry ${index + 1}: must be keyId:base64-key, the key id matching ${KEY_ID_PATTERN.source}`);
    const key = base64Key(entry.slice(at + 1), PAYLOAD_KEY_BYTES);
    if (!key)
      return fail(`entry ${index + 1} (key id "${id}"): the key must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
    if (keys.some((k) => k.id === id)) return fail(`entry ${index + 1}: the key id "${id}" is listed twice`);
    keys.push({ id, key });
  }
  return new PayloadKeyring(keys);
});

const payloadEncryptionSchema = z.object({
  PAYLOAD_ENCRYPTION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  PAYLOAD_ENCRYPTION_KEYS: payloadKeys.optional(),
});

/**
 * Payload encryption: on with the keys of PAYLOAD_ENCRYPTION_KEYS; off (payloads in clear) with
 * PAYLOAD_ENCRYPTION=off, or when no key is set — which the production entry points refuse
 * (`assertSafeForProduction`) unless POS_SANDBOX=true: encryption is production's default.
 */
export function loadPayloadEncryption(env: Env = process.env): PayloadEncryptionConfig | undefined {
  const c = parse(payloadEncryptionSchema, env);
  if (c.PAYLOAD_ENCRYPTION === 'off') {
    if (c.PAYLOAD_ENCRYPTION_KEYS) {
      throw new ConfigError(
        'Invalid configuration:\n  PAYLOAD_ENCRYPTION: is off while PAYLOAD_ENCRYPTION_KEYS is set: remove one of them',
      );
    }
    return undefined;
  }
  return c.PAYLOAD_ENCRYPTION_KEYS ? { keyring: c.PAYLOAD_ENCRYPTION_KEYS } : undefined;
}

const databaseSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  POS_DATA_DIR: nonEmpty.default('.data'),
});

export type DatabaseConfig = { url: string } | { dataDir: string };

/** A real PostgreSQL when DATABASE_URL is set; otherwise the embedded one under POS_DATA_DIR. */
export function loadDatabaseConfig(env: Env = process.env): DatabaseConfig {
  const c = parse(databaseSchema, env);
  return c.DATABASE_URL ? { url: c.DATABASE_URL } : { dataDir: path.resolve(c.POS_DATA_DIR, 'pglite') };
}

const poolSchema = z.object({
  DATABASE_POOL_MAX: positiveInt.default(10),
});

/** How many PostgreSQL connections one worker process may hold (docs/BENCHMARKS.md: what the size changes). */
export function loadDatabasePoolSize(env: Env = process.env): number {
  return parse(poolSchema, env).DATABASE_POOL_MAX;
}

const providersSchema = z.object({
  ZUZ_BASE_URL: httpUrl,
  ZUZ_APP_ID: nonEmpty,
  ZUZ_PRIVATE_KEY: nonEmpty,
  ZUZ_ENV: z.enum(['test', 'live'], { error: 'must be test or live' }).default('test'),
  ZUZ_TIMEOUT_MS: positiveInt.default(10_000),
  PMS_BASE_URL: httpUrl,
  PMS_API_KEY: nonEmpty,
  PMS_TIMEOUT_MS: positiveInt.default(5_000),
});

export function loadProvidersConfig(env: Env = process.env) {
  const c = parse(providersSchema, env);
  return {
    zuz: {
      baseUrl: c.ZUZ_BASE_URL,
      appId: c.ZUZ_APP_ID,
      privateKey: c.ZUZ_PRIVATE_KEY,
      environment: c.ZUZ_ENV,
      timeoutMs: c.ZUZ_TIMEOUT_MS,
    },
    pms: { baseUrl: c.PMS_BASE_URL, apiKey: c.PMS_API_KEY, timeoutMs: c.PMS_TIMEOUT_MS },
  };
}

const riskSchema = z.object({
  RISK_MAX_TRANSACTIONS_PER_HOUR: positiveInt.default(30),
  RISK_MAX_AMOUNT_PER_DAY: positiveInt.default(1_000_000),
});

/** Risk screening limits per customer (amounts in minor units). */
export function loadRiskLimits(env: Env = process.env) {
  const c = parse(riskSchema, env);
  return { maxTransactionsPerHour: c.RISK_MAX_TRANSACTIONS_PER_HOUR, maxAmountPerDay: c.RISK_MAX_AMOUNT_PER_DAY };
}

const workerOpsSchema = z.object({
  WORKER_METRICS_ADDRESS: hostPort.default('127.0.0.1:9464'),
  WORKER_HEALTH_HOST: nonEmpty.default('127.0.0.1'),
  WORKER_HEALTH_PORT: port.default(8081),
  WORKER_SHUTDOWN_GRACE_SECONDS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(0, 'must be >= 0')
    .default(10),
});

/** The worker's operations side: Prometheus metrics (the SDK's endpoint), health checks, graceful shutdown. */
export function loadWorkerOpsConfig(env: Env = process.env) {
  const c = parse(workerOpsSchema, env);
  return {
    metricsAddress: c.WORKER_METRICS_ADDRESS,
    health: { host: c.WORKER_HEALTH_HOST, port: c.WORKER_HEALTH_PORT },
    shutdownGraceSeconds: c.WORKER_SHUTDOWN_GRACE_SECONDS,
  };
}

const atLeastTwo = positiveInt.min(2, 'must be >= 2');

const workerTuningSchema = z.object({
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: atLeastTwo.optional(),
  WORKER_MAX_CONCURRENT_ACTIVITIES: positiveInt.optional(),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: positiveInt.optional(),
  WORKER_WORKFLOW_TASK_POLLERS: atLeastTwo.optional(),
  WORKER_ACTIVITY_TASK_POLLERS: positiveInt.optional(),
  // Bounded, so that transactions waiting days for a manual capture do not fill the worker's
  // memory (docs/BENCHMARKS.md: the SDK's heap-sized default let RSS grow 5x to 10,000 waiting;
  // 100 kept it within 8 % with no measurable cost). A cache miss costs one replay of a history.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(0, 'must be >= 0').default(100),
});

export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
  | 'maxConcurrentWorkflowTaskPolls'
  | 'maxConcurrentActivityTaskPolls'
  | 'maxCachedWorkflows'
>;

/**
 * The worker's capacity: task slots, pollers and the sticky cache. Unset slots and pollers keep
 * the SDK's defaults (40 workflow tasks, 100 activities, 100 local activities, 10 + 10 pollers),
 * which docs/BENCHMARKS.md found as good as anything tried here; the cache defaults to 100.
 */
export function loadWorkerTuning(env: Env = process.env): WorkerTuning {
  const c = parse(workerTuningSchema, env);
  const tuning: WorkerTuning = {
    maxConcurrentWorkflowTaskExecutions: c.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: c.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivityExecutions: c.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    maxConcurrentWorkflowTaskPolls: c.WORKER_WORKFLOW_TASK_POLLERS,
    maxConcurrentActivityTaskPolls: c.WORKER_ACTIVITY_TASK_POLLERS,
    maxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
  };
  return Object.fromEntries(Object.entries(tuning).filter(([, v]) => v !== undefined));
}

const duration = z.string().refine((v) => {
  try {
    // `ms` is the parser the Temporal SDK itself uses for durations, so what passes here the SDK accepts.
    return ms(v as StringValue) > 0;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 15m, 2h or 7d');

const flowSchema = z.object({
  FLOW_WEBHOOK_GRACE_PERIOD: duration.optional(),
  FLOW_POLL_INITIAL_INTERVAL: duration.optional(),
  FLOW_POLL_MAX_INTERVAL: duration.optional(),
  FLOW_AUTHORIZATION_DEADLINE: duration.optional(),
  FLOW_CAPTURE_DEADLINE: duration.optional(),
  FLOW_AUTHORIZATION_EXPIRY: duration.optional(),
});

/**
 * Overrides of the flow's waits for the transactions this API starts (each transaction keeps
 * the values it started with). Unset: the production defaults in src/workflows/options.ts.
 */
export function loadFlowOverrides(env: Env = process.env) {
  const c = parse(flowSchema, env);
  const overrides = {
    webhookGracePeriod: c.FLOW_WEBHOOK_GRACE_PERIOD,
    pollInitialInterval: c.FLOW_POLL_INITIAL_INTERVAL,
    pollMaxInterval: c.FLOW_POLL_MAX_INTERVAL,
    authorizationDeadline: c.FLOW_AUTHORIZATION_DEADLINE,
    captureDeadline: c.FLOW_CAPTURE_DEADLINE,
    authorizationExpiry: c.FLOW_AUTHORIZATION_EXPIRY,
  };
  const set = Object.entries(overrides).filter(([, v]) => v !== undefined);
  return set.length ? (Object.fromEntries(set) as Partial<Record<keyof typeof overrides, Duration>>) : undefined;
}

/** A key of API_KEYS and the merchant it acts for. */
export interface ApiKey {
  merchantId: string;
  key: string;
}

export { DEFAULT_MERCHANT_ID };

/**
 * API_KEYS: comma-separated `merchantId:key` entries, or bare keys (the merchant `default`, so a
 * list from before merchants keeps working). Errors name the entry by position, never by content:
 * a mistyped entry may be a key.
 */
const apiKeys = z.string().transform((value, ctx): ApiKey[] => {
  const keys: ApiKey[] = [];
  const fail = (message: string) => ctx.issues.push({ code: 'custom', message, input: value });
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!entries.length) fail('must list at least one key');
  entries.forEach((entry, index) => {
    const parts = entry.split(':');
    if (parts.length > 2) return fail(`entry ${index + 1}: a key may not contain ":" (entries are merchantId:key or key)`);
    const [merchantId, key] = parts.length === 2 ? [parts[0].trim(), parts[1].trim()] : [DEFAULT_MERCHANT_ID, parts[0]];
    if (!MERCHANT_ID_PATTERN.test(merchantId)) return fail(`entry ${index + 1}: the merchant id must match ${MERCHANT_ID_PATTERN.source}`);
    if (key.length < 16) return fail(`entry ${index + 1}: each key must be at least 16 characters`);
    const listed = keys.find((k) => k.key === key);
    // One key, one merchant: a key shared by two could not say whose transactions it may see.
    if (listed && listed.merchantId !== merchantId) return fail(`entry ${index + 1}: this key is also listed for another merchant`);
    if (!listed) keys.push({ merchantId, key });
  });
  return keys;
});

/** host:port, port 0 (any free port) allowed. */
const listenAddress = hostPort.transform((value, ctx) => {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (port > 65535) ctx.issues.push({ code: 'custom', message: 'the port must be 0-65535', input: value });
  return { host: value.slice(0, at), port };
});

const apiSchema = z.object({
  API_HOST: nonEmpty.default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_KEYS: apiKeys,
  API_METRICS_ADDRESS: listenAddress.default({ host: '127.0.0.1', port: 9465 }),
  API_RATE_LIMIT_PER_MINUTE: positiveInt.optional(),
  ZUZ_PRIVATE_KEY: nonEmpty,
  ZUZ_WEBHOOK_MAX_AGE_SECONDS: positiveInt.default(24 * 60 * 60 + 3600),
  CUSTOMER_PSEUDONYM_KEY: z
    .string()
    .transform((value, ctx) => {
      const key = base64Key(value, PAYLOAD_KEY_BYTES);
      if (!key)
        ctx.issues.push({
          code: 'custom',
          message: `must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`,
          input: value,
        });
      return key ?? z.NEVER;
    })
    .optional(),
  CODEC_SERVER_ADDRESS: listenAddress.optional(),
  CODEC_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEC_SERVER_CORS_ORIGINS: z
    .string()
    .transform((value, ctx) => {
      const origins = value
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter(Boolean);
      origins.forEach((origin, index) => {
        // An origin is scheme://host[:port] exactly: the browser's Origin header is compared to it as a string.
        if (!/^https?:\/\/[^/\s,]+$/.test(origin)) {
          ctx.issues.push({
            code: 'custom',
            message: `entry ${index + 1}: must be an origin such as https://temporal-ui.example.com`,
            input: value,
          });
        }
      });
      return origins;
    })
    .optional(),
});

/** The codec server's listener and who may use it (src/api/codec-server.ts). */
export interface CodecServerConfig {
  host: string;
  port: number;
  /** Required as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** The Web UI origins allowed by CORS; a request from any other origin is refused. */
  allowedOrigins: string[];
}

export interface ApiConfig {
  host: string;
  port: number;
  apiKeys: ApiKey[];
  webhook: { privateKey: string; maxAgeMs: number };
  /** Prometheus metrics, on a listener of their own: never on the public port. */
  metrics: { host: string; port: number };
  /** Requests per minute per API key on /v1; undefined: no limit. */
  rateLimitPerMinute?: number;
  /** With payload encryption on: the key of the CustomerId search attribute's pseudonym (src/infrastructure/payload-codec.ts). */
  customerPseudonymKey?: Buffer;
  /** The codec server for the Web UI, on its own listener; undefined: not started (it is opt-in). */
  codecServer?: CodecServerConfig;
}

/** The API refuses to start without keys: there is no anonymous access to payments. */
export function loadApiConfig(env: Env = process.env): ApiConfig {
  const c = parse(apiSchema, env);
  const encrypted = loadPayloadEncryption(env) !== undefined;
  const problems: string[] = [];
  // With payloads encrypted, the customer id must not sit in clear in the one place the codec cannot reach.
  if (encrypted && !c.CUSTOMER_PSEUDONYM_KEY) {
    problems.push(
      'CUSTOMER_PSEUDONYM_KEY: is required with PAYLOAD_ENCRYPTION_KEYS (the CustomerId search attribute holds a pseudonym under it)',
    );
  }
  if (c.CODEC_SERVER_ADDRESS && !encrypted)
    problems.push('CODEC_SERVER_ADDRESS: the codec server needs PAYLOAD_ENCRYPTION_KEYS (there is nothing to decode)');
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    host: c.API_HOST,
    port: c.API_PORT,
    apiKeys: c.API_KEYS,
    webhook: { privateKey: c.ZUZ_PRIVATE_KEY, maxAgeMs: c.ZUZ_WEBHOOK_MAX_AGE_SECONDS * 1000 },
    metrics: c.API_METRICS_ADDRESS,
    rateLimitPerMinute: c.API_RATE_LIMIT_PER_MINUTE,
    customerPseudonymKey: encrypted ? c.CUSTOMER_PSEUDONYM_KEY : undefined,
    codecServer: c.CODEC_SERVER_ADDRESS && {
      ...c.CODEC_SERVER_ADDRESS,
      token: c.CODEC_SERVER_TOKEN,
      allowedOrigins: c.CODEC_SERVER_CORS_ORIGINS ?? [],
    },
  };
}

/** The credentials the sandbox publishes (README, sandbox/local-stack.ts DEV_DEFAULTS, the simulators' defaults). */
export const SANDBOX_CREDENTIALS = {
  API_KEYS: 'dev-api-key-0123456789',
  ZUZ_PRIVATE_KEY: 'dev-zuz-private-key',
  PMS_API_KEY: 'dev-pms-key',
} as const;

const MIN_PRODUCTION_SECRET_BYTES = 32;

/** What each production entry point reads: the API verifies webhooks and takes keys; the worker calls Zuz and PMS. */
const PRODUCTION_VARIABLES = {
  api: ['API_KEYS', 'ZUZ_PRIVATE_KEY', 'PAYLOAD_ENCRYPTION_KEYS', 'CODEC_SERVER_TOKEN'],
  worker: ['ZUZ_PRIVATE_KEY', 'ZUZ_BASE_URL', 'ZUZ_ENV', 'PMS_API_KEY', 'PMS_BASE_URL', 'PAYLOAD_ENCRYPTION_KEYS'],
} as const;

export type ProductionEntryPoint = keyof typeof PRODUCTION_VARIABLES;

const sandboxSchema = z.object({ POS_SANDBOX: bool.default(false) });

/** What a process logs once when POS_SANDBOX=true lifts the checks. */
export const SANDBOX_WARNING =
  'POS_SANDBOX=true: the production checks are off (sandbox credentials, short secrets, http:// providers and payloads in clear accepted); never set it in a deployment';

/** What a process logs once when it runs with payload encryption off. */
export const CLEAR_PAYLOADS_WARNING =
  'Payload encryption is off: Temporal stores workflow inputs, results, signals, memo and failure messages in clear (set PAYLOAD_ENCRYPTION_KEYS)';

/**
 * The production entry points' refusal of what is safe only against the local simulators:
 * the published sandbox credentials, secrets under 32 bytes, `http://` provider URLs and an
 * implicit ZUZ_ENV. Throws one ConfigError naming every variable at fault. POS_SANDBOX=true
 * (the simulators, tests, chaos and bench stacks) skips the checks: the answer is then
 * `skipped`, for the caller to log. Unset or malformed variables are left to the loaders.
 */
export function assertSafeForProduction(entryPoint: ProductionEntryPoint, env: Env = process.env): 'checked' | 'skipped' {
  if (parse(sandboxSchema, env).POS_SANDBOX) return 'skipped';
  const set = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];
  const secret = (name: keyof typeof SANDBOX_CREDENTIALS, values: string[], what: string) => {
    if (values.includes(SANDBOX_CREDENTIALS[name])) problems.push(`${name}: ${what} the published sandbox credential`);
    else if (values.some((v) => Buffer.byteLength(v) < MIN_PRODUCTION_SECRET_BYTES)) {
      problems.push(`${name}: ${what} shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes`);
    }
  };
  const uses = (name: string) => (PRODUCTION_VARIABLES[entryPoint] as readonly string[]).includes(name);
  const apiKeyList = uses('API_KEYS') && set('API_KEYS') ? apiKeys.safeParse(set('API_KEYS')) : undefined;
  if (apiKeyList?.success)
    secret(
      'API_KEYS',
      apiKeyList.data.map((k) => k.key),
      'has a key',
    );
  for (const name of ['ZUZ_PRIVATE_KEY', 'PMS_API_KEY'] as const) {
    const value = set(name);
    if (uses(name) && value !== undefined) secret(name, [value], 'is');
  }
  for (const name of ['ZUZ_BASE_URL', 'PMS_BASE_URL']) {
    const value = set(name);
    if (uses(name) && value !== undefined && !/^https:\/\//i.test(value)) problems.push(`${name}: must be an https:// URL`);
  }
  // The general loader defaults to `test`; a deployment must say which Zuz it talks to.
  if (uses('ZUZ_ENV') && set('ZUZ_ENV') === undefined) problems.push('ZUZ_ENV: must be set explicitly (test or live)');
  // Encryption is production's default: running without it must be said (PAYLOAD_ENCRYPTION=off), never an omission.
  if (uses('PAYLOAD_ENCRYPTION_KEYS') && set('PAYLOAD_ENCRYPTION_KEYS') === undefined && set('PAYLOAD_ENCRYPTION') !== 'off') {
    problems.push(
      'PAYLOAD_ENCRYPTION_KEYS: must be set (keyId:base64-32-bytes entries): without it Temporal stores every payload in clear; PAYLOAD_ENCRYPTION=off says so deliberately',
    );
  }
  // The codec server decrypts anything it is sent: in a deployment it must ask who is calling.
  if (uses('CODEC_SERVER_TOKEN') && set('CODEC_SERVER_ADDRESS') !== undefined) {
    const token = set('CODEC_SERVER_TOKEN');
    if (token === undefined) problems.push('CODEC_SERVER_TOKEN: must be set when CODEC_SERVER_ADDRESS starts the codec server');
    else if (Buffer.byteLength(token) < MIN_PRODUCTION_SECRET_BYTES) {
      problems.push(`CODEC_SERVER_TOKEN: is shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes`);
    }
  }
  if (problems.length) {
    throw new ConfigError(
      `Unsafe configuration for production (POS_SANDBOX=true allows it against the local simulators only):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  return 'checked';
}
