/**
 * Configuration from environment variables, validated once at start. A bad value stops the
 * process with a message naming the variable and what is wrong, never a stack trace.
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TLSConfig } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { loadClientConfigFromToml, loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { WorkerOptions } from '@temporalio/worker';
import ms, { type StringValue } from 'ms';
import { DEFAULT_MERCHANT_ID, parseApiKeys, type ApiKey } from '../merchants/model';
import { KEY_ID_PATTERN, PAYLOAD_KEY_BYTES, PayloadKeyring, type PayloadEncryptionConfig } from './payload-codec';

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

/**
 * The Temporal connection: what `@temporalio/envconfig` (the SDK's own loader) makes of a TOML
 * profile and the standard variables, so every name means what it means for the `temporal` CLI
 * and the other SDKs. The profile comes from TEMPORAL_CONFIG_FILE (default
 * ~/.config/temporalio/temporal.toml), profile TEMPORAL_PROFILE (default `default`); each of
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS,
 * TEMPORAL_TLS_CLIENT_CERT_PATH / _DATA, TEMPORAL_TLS_CLIENT_KEY_PATH / _DATA,
 * TEMPORAL_TLS_SERVER_CA_CERT_PATH / _DATA, TEMPORAL_TLS_SERVER_NAME and TEMPORAL_GRPC_META_*
 * overrides the profile's value. As everywhere in this file, an empty variable counts as unset.
 */
const temporalSchema = z.object({
  TEMPORAL_TASK_QUEUE: nonEmpty.default('pos-transactions'),
  // The loader reads these two; here only their form is checked (the SDK would take "yes" as false).
  TEMPORAL_TLS: z
    .string()
    .regex(/^(true|false|1|0)$/i, 'must be true or false')
    .optional(),
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: z
    .string()
    .regex(/^(false|0)$/i, 'is not supported by the TypeScript SDK: set TEMPORAL_TLS_SERVER_NAME to a name in the server certificate')
    .optional(),
  TEMPORAL_SEARCH_ATTRIBUTE_CHECK: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
});

/** Names the service once read, before the standard ones; refused (not ignored) so that a deployment notices. */
const RENAMED_TEMPORAL_VARIABLES: Record<string, string> = {
  TEMPORAL_TLS_CERT: 'TEMPORAL_TLS_CLIENT_CERT_PATH',
  TEMPORAL_TLS_KEY: 'TEMPORAL_TLS_CLIENT_KEY_PATH',
  TEMPORAL_TLS_CA: 'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  TEMPORAL_TLS_CERT_DATA: 'TEMPORAL_TLS_CLIENT_CERT_DATA',
  TEMPORAL_TLS_KEY_DATA: 'TEMPORAL_TLS_CLIENT_KEY_DATA',
  TEMPORAL_TLS_CA_DATA: 'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
};

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  /** TLS to the frontend, its files already read; undefined: plaintext. `{}`: TLS with the system's CAs. */
  tls?: TLSConfig;
  /** gRPC headers sent with every call (TEMPORAL_GRPC_META_*, the profile's `grpc_meta`). */
  grpcMetadata?: Record<string, string>;
  /** TEMPORAL_SEARCH_ATTRIBUTE_CHECK: whether the worker checks at start that the namespace has the flow's search attributes. */
  checkSearchAttributes: boolean;
  /** Where the connection settings came from, for logs: `environment`, or the profile and its file. */
  source: string;
  /** The payload keys every client and worker of this config encrypts and decrypts with; undefined: payloads in clear. */
  payloadEncryption?: PayloadEncryptionConfig;
}

/** [os.UserConfigDir]/temporalio/temporal.toml, as the Go SDK and the CLI (and @temporalio/envconfig) find it. */
export function defaultTemporalConfigFile(env: Env): string | undefined {
  let dir: string | undefined;
  if (process.platform === 'win32') dir = env.APPDATA;
  else if (process.platform === 'darwin') dir = env.HOME && path.join(env.HOME, 'Library', 'Application Support');
  else if (env.XDG_CONFIG_HOME) dir = path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  else dir = env.HOME && path.join(env.HOME, '.config');
  return dir ? path.join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** The TOML file's profiles (none without a file); the file is read here so that a failure names it. */
function temporalProfiles(env: Env, problems: string[]): { file?: string; text?: string; names: string[] } {
  const explicit = env.TEMPORAL_CONFIG_FILE;
  const file = explicit ?? defaultTemporalConfigFile(env);
  if (!file) return { names: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // As for the CLI, a missing default file is no file; a file named explicitly must be there.
    if (!explicit && errnoOf(err) === 'ENOENT') return { names: [] };
    problems.push(`${explicit ? 'TEMPORAL_CONFIG_FILE' : `the default config file`}: cannot read ${file}: ${errnoOf(err)}`);
    return { names: [] };
  }
  try {
    return { file, text, names: Object.keys(loadClientConfigFromToml(Buffer.from(text), { strict: false }).profiles) };
  } catch (err) {
    // The SDK fails with a TypeError on a file without any [profile.*] table (an empty file): that is no profile.
    if (err instanceof TypeError) return { file, names: [] };
    problems.push(
      `${explicit ? 'TEMPORAL_CONFIG_FILE' : 'the default config file'}: ${file} is not a valid config file: ${(err as Error).message}`,
    );
    return { names: [] };
  }
}

/** Every Temporal connection of the service reads the same keys: one config, so a client and a worker never disagree. */
export function loadTemporalConfig(env: Env = process.env): TemporalConfig {
  const payloadEncryption = loadPayloadEncryption(env);
  const c = parse(temporalSchema, env);
  // Empty counts as unset (`VAR= cmd`), and TEMPORAL_TLS is given to the SDK as it reads it (lower case).
  const set: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  if (set.TEMPORAL_TLS) set.TEMPORAL_TLS = set.TEMPORAL_TLS.toLowerCase();
  const problems = Object.entries(RENAMED_TEMPORAL_VARIABLES)
    .filter(([old]) => set[old] !== undefined)
    .map(([old, name]) => `${old}: is no longer read: set ${name} (the name the Temporal CLI and SDKs use) instead`);

  const profiles = temporalProfiles(set, problems);
  const profileName = set.TEMPORAL_PROFILE ?? 'default';
  if (set.TEMPORAL_PROFILE && !profiles.names.includes(profileName) && profiles.file !== undefined) {
    const known = profiles.names.length ? `it has ${profiles.names.map((n) => `"${n}"`).join(', ')}` : 'it has none';
    problems.push(`TEMPORAL_PROFILE: no profile "${profileName}" in ${profiles.file} (${known})`);
  } else if (set.TEMPORAL_PROFILE && profiles.file === undefined && !problems.length) {
    problems.push(`TEMPORAL_PROFILE: no config file to take profile "${profileName}" from (set TEMPORAL_CONFIG_FILE)`);
  }
  const fromFile = profiles.names.includes(profileName);
  const inFile = (key: string) => `${key} (profile "${profileName}" of ${profiles.file})`;
  // Which name a failure is reported under: the variable when it is set (it overrides the profile), else the TOML key.
  const origin = (variable: string, key: string) => (set[variable] !== undefined || !fromFile ? variable : inFile(key));
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);

  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      profile: set.TEMPORAL_PROFILE,
      ...(fromFile && profiles.text !== undefined ? { configSource: { data: profiles.text } } : { disableFile: true }),
      overrideEnvVars: set,
    });
  } catch (err) {
    // e.g. "Cannot specify both client_cert_path and client_cert_data" (from the file, the variables, or one of each).
    throw new ConfigError(`Invalid configuration:\n  ${fromFile ? inFile('tls') : 'TEMPORAL_TLS_*'}: ${(err as Error).message}`);
  }

  const address = profile.address || 'localhost:7233';
  if (!hostPort.safeParse(address).success) {
    problems.push(`${origin('TEMPORAL_ADDRESS', 'address')}: must be host:port, e.g. localhost:7233 (got "${address}")`);
  }
  const apiKey = profile.apiKey || undefined;
  const tls = temporalTls(profile, apiKey, origin, problems);
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    address,
    namespace: profile.namespace || 'default',
    taskQueue: c.TEMPORAL_TASK_QUEUE,
    apiKey,
    tls,
    grpcMetadata: profile.grpcMeta && Object.keys(profile.grpcMeta).length ? profile.grpcMeta : undefined,
    checkSearchAttributes: c.TEMPORAL_SEARCH_ATTRIBUTE_CHECK === 'on',
    source: fromFile ? `profile "${profileName}" of ${profiles.file}` : 'environment',
    payloadEncryption,
  };
}

/**
 * The SDK's rule (`toClientOptions`): TLS when the profile says anything about it (unless
 * `disabled`, TEMPORAL_TLS=false), or when an API key is set; here with the files read and
 * checked, each failure named by the variable or TOML key it came from.
 */
function temporalTls(
  profile: ClientConfigProfile,
  apiKey: string | undefined,
  origin: (variable: string, key: string) => string,
  problems: string[],
): TLSConfig | undefined {
  if (profile.tls?.disabled) return undefined;
  if (!profile.tls) return apiKey ? {} : undefined;
  const read = (source: ConfigDataSource | undefined, what: string): Buffer | undefined => {
    if (!source) return undefined;
    if ('data' in source) return Buffer.from(source.data);
    try {
      return readFileSync(source.path);
    } catch (err) {
      problems.push(
        `${origin(`TEMPORAL_TLS_${what}_PATH`, `tls.${what.toLowerCase()}_path`)}: cannot read ${source.path}: ${errnoOf(err)}`,
      );
      return undefined;
    }
  };
  const name = (what: string, source: ConfigDataSource | undefined) => {
    const form = source && 'data' in source ? 'DATA' : 'PATH';
    return origin(`TEMPORAL_TLS_${what}_${form}`, `tls.${what.toLowerCase()}_${form.toLowerCase()}`);
  };
  const { clientCert, clientKey, serverCACert } = profile.tls;
  const ca = read(serverCACert, 'SERVER_CA_CERT');
  const crt = read(clientCert, 'CLIENT_CERT');
  const key = read(clientKey, 'CLIENT_KEY');
  if (!!clientCert !== !!clientKey) {
    problems.push(
      `${clientCert ? name('CLIENT_CERT', clientCert) : name('CLIENT_KEY', clientKey)}: the client certificate and key go together: set both or neither`,
    );
  }
  let certificate: X509Certificate | undefined;
  if (ca) {
    try {
      new X509Certificate(ca);
    } catch {
      problems.push(`${name('SERVER_CA_CERT', serverCACert)}: is not a PEM certificate`);
    }
  }
  if (crt) {
    try {
      certificate = new X509Certificate(crt);
    } catch {
      problems.push(`${name('CLIENT_CERT', clientCert)}: is not a PEM certificate`);
    }
  }
  if (key) {
    try {
      const privateKey = createPrivateKey(key);
      if (certificate && !certificate.checkPrivateKey(privateKey)) {
        problems.push(`${name('CLIENT_KEY', clientKey)}: is not the private key of the client certificate`);
      }
    } catch {
      problems.push(`${name('CLIENT_KEY', clientKey)}: is not an unencrypted PEM private key`);
    }
  }
  return {
    serverNameOverride: profile.tls.serverName || undefined,
    serverRootCACertificate: ca,
    clientCertPair: crt && key ? { crt, key } : undefined,
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

/** A real PostgreSQL when DATABASE_URL is set; otherwise the embedded one under POS_DATA_DIR (the sandbox only: `assertSafeForProduction` requires DATABASE_URL). */
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
  FLOW_REFUND_DEADLINE: duration.optional(),
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
    refundDeadline: c.FLOW_REFUND_DEADLINE,
  };
  const set = Object.entries(overrides).filter(([, v]) => v !== undefined);
  return set.length ? (Object.fromEntries(set) as Partial<Record<keyof typeof overrides, Duration>>) : undefined;
}

const statementTimeoutSchema = z.object({
  DATABASE_STATEMENT_TIMEOUT: z.union([z.literal('off'), duration], { error: 'must be a duration such as 5s, or off' }).default('5s'),
});

/**
 * PostgreSQL's `statement_timeout` for the API's pool, in ms (0: none): a statement running longer
 * is cancelled (the request fails, the connection is freed) so that no query can hold a pooled
 * connection for long. DATABASE_STATEMENT_TIMEOUT, default 5s; `off` for none.
 */
export function loadDatabaseStatementTimeout(env: Env = process.env): number {
  const value = parse(statementTimeoutSchema, env).DATABASE_STATEMENT_TIMEOUT;
  return value === 'off' ? 0 : ms(value as StringValue);
}

export type { ApiKey };
export { DEFAULT_MERCHANT_ID };

/** API_KEYS: `merchantId:key` entries or bare keys (the format and its rules: parseApiKeys in ./domain/merchant.ts). */
const apiKeys = z.string().transform((value, ctx): ApiKey[] => {
  const { keys, problems } = parseApiKeys(value);
  for (const message of problems) ctx.issues.push({ code: 'custom', message, input: value });
  return keys;
});

/** host:port, port 0 (any free port) allowed. */
const listenAddress = hostPort.transform((value, ctx) => {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (port > 65535) ctx.issues.push({ code: 'custom', message: 'the port must be 0-65535', input: value });
  return { host: value.slice(0, at), port };
});

/** A 32-byte secret in base64, decoded (API_CURSOR_KEY, CUSTOMER_PSEUDONYM_KEY). */
const secretKey32 = z.string().transform((value, ctx) => {
  const key = base64Key(value, PAYLOAD_KEY_BYTES);
  if (!key)
    ctx.issues.push({ code: 'custom', message: `must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`, input: value });
  return key ?? z.NEVER;
});

const apiSchema = z.object({
  API_HOST: nonEmpty.default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_KEYS: apiKeys,
  /** Operators' keys: every merchant's reconciliation findings, no merchant route (comma-separated, apart from API_KEYS). */
  OPERATOR_API_KEYS: z
    .string()
    .transform((value, ctx) => {
      const keys = value
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean);
      keys.forEach((key, index) => {
        if (key.length < 16)
          ctx.issues.push({ code: 'custom', message: `entry ${index + 1}: each key must be at least 16 characters`, input: value });
      });
      return keys;
    })
    .optional(),
  API_METRICS_ADDRESS: listenAddress.default({ host: '127.0.0.1', port: 9465 }),
  // `off`, or requests per minute per key; unset: PRODUCTION_RATE_LIMIT_PER_MINUTE in production (NODE_ENV=production, not POS_SANDBOX), else none.
  API_RATE_LIMIT_PER_MINUTE: z.union([z.literal('off'), positiveInt], { error: 'must be a number > 0 or off' }).optional(),
  API_FAILED_AUTH_LIMIT_PER_MINUTE: positiveInt.default(30),
  API_LIST_CONCURRENCY_PER_MERCHANT: positiveInt.default(2),
  /** The key that signs list cursors: its own secret, shared by every API process (a random one per process when unset). */
  API_CURSOR_KEY: secretKey32.optional(),
  ZUZ_PRIVATE_KEY: nonEmpty,
  ZUZ_WEBHOOK_MAX_AGE_SECONDS: positiveInt.default(24 * 60 * 60 + 3600),
  CUSTOMER_PSEUDONYM_KEY: secretKey32.optional(),
  CODEC_SERVER_ADDRESS: listenAddress.optional(),
  CODEC_SERVER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CODEC_SERVER_ENCODE: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
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
  /** Required of every call, as `Authorization: Bearer <token>` or in the path (`/codec/<token>/decode`, the Web UI's endpoint). */
  token: string;
  /** Whether /codec/encode is served (CODEC_SERVER_ENCODE=on): it mints ciphertext the workers accept. */
  encode: boolean;
  /** The Web UI origins allowed by CORS; a request from any other origin is refused. */
  allowedOrigins: string[];
}

export interface ApiConfig {
  host: string;
  port: number;
  apiKeys: ApiKey[];
  /** Operator keys (OPERATOR_API_KEYS): they act for no merchant. */
  operatorKeys: string[];
  webhook: { privateKey: string; maxAgeMs: number };
  /** Prometheus metrics, on a listener of their own: never on the public port. */
  metrics: { host: string; port: number };
  /** Requests per minute per API key on /v1; undefined: no limit. */
  rateLimitPerMinute?: number;
  /** 401s per client address per minute before its requests are refused (429). */
  failedAuthLimitPerMinute: number;
  /** Lists (GET /v1/transactions) of one merchant in progress at once, per API process. */
  listConcurrencyPerMerchant: number;
  /** Signs list cursors (API_CURSOR_KEY; random per process when unset, which production refuses). */
  cursorKey: Buffer;
  /** With payload encryption on: the key of the CustomerId search attribute's pseudonym (src/shared/payload-codec.ts). */
  customerPseudonymKey?: Buffer;
  /** The codec server for the Web UI, on its own listener; undefined: not started (it is opt-in). */
  codecServer?: CodecServerConfig;
}

/** Requests per minute per API key when API_RATE_LIMIT_PER_MINUTE is unset, in production. */
export const PRODUCTION_RATE_LIMIT_PER_MINUTE = 600;

/** Production: NODE_ENV=production (the image sets it) without POS_SANDBOX=true (compose's sandbox sets both). */
export function isProduction(env: Env = process.env): boolean {
  return env.NODE_ENV === 'production' && !parse(sandboxSchema, env).POS_SANDBOX;
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
  // It decrypts whatever it is sent: never without a token, in the sandbox too (issue 38, finding 4).
  if (c.CODEC_SERVER_ADDRESS && !c.CODEC_SERVER_TOKEN)
    problems.push('CODEC_SERVER_TOKEN: is required when CODEC_SERVER_ADDRESS starts the codec server (it decrypts whatever it is sent)');
  const merchantKeys = new Set(c.API_KEYS.map((k) => k.key));
  // One key, one caller: a key in both lists could not say whether it acts for a merchant.
  if (c.OPERATOR_API_KEYS?.some((key) => merchantKeys.has(key)))
    problems.push('OPERATOR_API_KEYS: a key is also listed in API_KEYS (an operator key must act for no merchant)');
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    host: c.API_HOST,
    port: c.API_PORT,
    apiKeys: c.API_KEYS,
    operatorKeys: c.OPERATOR_API_KEYS ?? [],
    webhook: { privateKey: c.ZUZ_PRIVATE_KEY, maxAgeMs: c.ZUZ_WEBHOOK_MAX_AGE_SECONDS * 1000 },
    metrics: c.API_METRICS_ADDRESS,
    rateLimitPerMinute:
      c.API_RATE_LIMIT_PER_MINUTE === 'off'
        ? undefined
        : (c.API_RATE_LIMIT_PER_MINUTE ?? (isProduction(env) ? PRODUCTION_RATE_LIMIT_PER_MINUTE : undefined)),
    failedAuthLimitPerMinute: c.API_FAILED_AUTH_LIMIT_PER_MINUTE,
    listConcurrencyPerMerchant: c.API_LIST_CONCURRENCY_PER_MERCHANT,
    cursorKey: c.API_CURSOR_KEY ?? randomBytes(PAYLOAD_KEY_BYTES),
    customerPseudonymKey: encrypted ? c.CUSTOMER_PSEUDONYM_KEY : undefined,
    codecServer:
      c.CODEC_SERVER_ADDRESS && c.CODEC_SERVER_TOKEN
        ? {
            ...c.CODEC_SERVER_ADDRESS,
            token: c.CODEC_SERVER_TOKEN,
            encode: c.CODEC_SERVER_ENCODE === 'on',
            allowedOrigins: c.CODEC_SERVER_CORS_ORIGINS ?? [],
          }
        : undefined,
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
  api: ['API_KEYS', 'OPERATOR_API_KEYS', 'ZUZ_PRIVATE_KEY', 'PAYLOAD_ENCRYPTION_KEYS', 'CODEC_SERVER_TOKEN', 'DATABASE_URL'],
  worker: ['DATABASE_URL', 'ZUZ_PRIVATE_KEY', 'ZUZ_BASE_URL', 'ZUZ_ENV', 'PMS_API_KEY', 'PMS_BASE_URL', 'PAYLOAD_ENCRYPTION_KEYS'],
} as const;

export type ProductionEntryPoint = keyof typeof PRODUCTION_VARIABLES;

const sandboxSchema = z.object({ POS_SANDBOX: bool.default(false) });

/** What a process logs once when POS_SANDBOX=true lifts the checks. */
export const SANDBOX_WARNING =
  'POS_SANDBOX=true: the production checks are off (sandbox credentials, short secrets, http:// providers and payloads in clear accepted); never set it in a deployment';

/** What a process logs once when it runs with payload encryption off. */
export const CLEAR_PAYLOADS_WARNING =
  'Payload encryption is off: Temporal stores workflow inputs, results, signals, memo and failure messages in clear (set PAYLOAD_ENCRYPTION_KEYS)';

/** Whether a postgres:// URL makes node-postgres use TLS: sslmode require / verify-ca / verify-full, or ssl=true. */
function databaseUsesTls(url: string): boolean {
  try {
    const params = new URL(url).searchParams;
    return ['require', 'verify-ca', 'verify-full'].includes(params.get('sslmode') ?? '') || ['true', '1'].includes(params.get('ssl') ?? '');
  } catch {
    return false;
  }
}

/**
 * What production accepts but an operator should know, logged once at start (nothing with
 * POS_SANDBOX=true): a bare key in API_KEYS acts for the `default` merchant, which owns every
 * transaction made before merchants existed.
 */
export function productionWarnings(entryPoint: ProductionEntryPoint, env: Env = process.env): string[] {
  if (entryPoint !== 'api' || parse(sandboxSchema, env).POS_SANDBOX) return [];
  const value = env.API_KEYS;
  if (!value) return [];
  const bare = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry && !entry.includes(':')).length;
  return bare
    ? [
        `API_KEYS: ${bare} key(s) without a merchant (merchantId:key) act for the "${DEFAULT_MERCHANT_ID}" merchant, which owns every transaction made before merchants existed: give each key its merchant unless that is meant`,
      ]
    : [];
}

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
  const operatorKeys = set('OPERATOR_API_KEYS')
    ?.split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (operatorKeys?.some((key) => Buffer.byteLength(key) < MIN_PRODUCTION_SECRET_BYTES))
    problems.push(`OPERATOR_API_KEYS: has a key shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes`);
  for (const name of ['ZUZ_PRIVATE_KEY', 'PMS_API_KEY'] as const) {
    const value = set(name);
    if (uses(name) && value !== undefined) secret(name, [value], 'is');
  }
  for (const name of ['ZUZ_BASE_URL', 'PMS_BASE_URL']) {
    const value = set(name);
    if (uses(name) && value !== undefined && !/^https:\/\//i.test(value)) problems.push(`${name}: must be an https:// URL`);
  }
  // The embedded database is one process's own: an API and a worker on it would keep claims, refunds
  // and late events apart from each other (every refund would then answer 409).
  if (uses('DATABASE_URL') && set('DATABASE_URL') === undefined)
    problems.push(
      'DATABASE_URL: must be set (the PostgreSQL the API and the workers share); the embedded database is for the sandbox only',
    );
  if (entryPoint === 'api') {
    // The API serves plain HTTP: in a deployment TLS must end in front of it, and the deployment must say so.
    const terminated = set('API_TLS_TERMINATED_BY');
    if (terminated === undefined)
      problems.push(
        'API_TLS_TERMINATED_BY: must be set to proxy: the API serves plain HTTP, so TLS must end at a proxy or load balancer in front of it (and API keys never cross a network in clear)',
      );
    else if (terminated !== 'proxy') problems.push(`API_TLS_TERMINATED_BY: must be proxy (got "${terminated}")`);
    // A key derived from nothing shared would differ between API processes; one derived from the Zuz key is a secret Zuz holds too.
    if (set('API_CURSOR_KEY') === undefined)
      problems.push('API_CURSOR_KEY: must be set (32 bytes in base64, the same for every API process): it signs list cursors');
  }
  // Temporal and PostgreSQL carry payments' data: in clear only where a sidecar or proxy on the same host encrypts for them.
  /** Whether NAME says a proxy encrypts the connection; a value other than `proxy` is itself the problem reported. */
  const tlsElsewhere = (name: string) => {
    const value = set(name);
    if (value !== undefined && value !== 'proxy') problems.push(`${name}: must be proxy (got "${value}")`);
    return value !== undefined;
  };
  if (!tlsElsewhere('TEMPORAL_TLS_TERMINATED_BY')) {
    let plaintext = false;
    try {
      plaintext = loadTemporalConfig(env).tls === undefined;
    } catch {
      // A malformed Temporal setting is the loader's to report.
    }
    if (plaintext)
      problems.push(
        'TEMPORAL_TLS: the connection to Temporal is plaintext: set TEMPORAL_TLS=true (or a client certificate, or TEMPORAL_API_KEY), or TEMPORAL_TLS_TERMINATED_BY=proxy when a sidecar on this host encrypts it',
      );
  }
  const databaseUrl = uses('DATABASE_URL') ? set('DATABASE_URL') : undefined;
  if (databaseUrl !== undefined && !tlsElsewhere('DATABASE_TLS_TERMINATED_BY') && !databaseUsesTls(databaseUrl))
    problems.push(
      'DATABASE_URL: must ask for TLS (sslmode=require, verify-ca or verify-full), or set DATABASE_TLS_TERMINATED_BY=proxy when a proxy on this host encrypts it',
    );
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
