import { DEFAULT_MERCHANT_ID } from '../../merchants/model';
import { ConfigError, parse, sandboxSchema, type Env } from './env';
import { loadTemporalConfig } from './temporal';
import { apiKeys } from './api';

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
  const check: ProductionCheck = {
    entryPoint,
    set: (name) => (env[name] === undefined || env[name] === '' ? undefined : env[name]),
    uses: (name) => (PRODUCTION_VARIABLES[entryPoint] as readonly string[]).includes(name),
    env,
  };
  const problems = [...secretProblems(check), ...transportProblems(check), ...settingProblems(check)];
  if (problems.length) {
    throw new ConfigError(
      `Unsafe configuration for production (POS_SANDBOX=true allows it against the local simulators only):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  return 'checked';
}

interface ProductionCheck {
  entryPoint: ProductionEntryPoint;
  /** A variable's value, an empty one counting as unset. */
  set: (name: string) => string | undefined;
  /** Whether this entry point reads the variable. */
  uses: (name: string) => boolean;
  env: Env;
}

/** Keys and secrets: never the published sandbox credentials, never under 32 bytes. */
function secretProblems({ set, uses }: ProductionCheck): string[] {
  const problems: string[] = [];
  const secret = (name: keyof typeof SANDBOX_CREDENTIALS, values: string[], what: string) => {
    if (values.includes(SANDBOX_CREDENTIALS[name])) problems.push(`${name}: ${what} the published sandbox credential`);
    else if (values.some((v) => Buffer.byteLength(v) < MIN_PRODUCTION_SECRET_BYTES)) {
      problems.push(`${name}: ${what} shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes`);
    }
  };
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
  // The codec server decrypts anything it is sent: in a deployment it must ask who is calling.
  if (uses('CODEC_SERVER_TOKEN') && set('CODEC_SERVER_ADDRESS') !== undefined) {
    const token = set('CODEC_SERVER_TOKEN');
    if (token === undefined) problems.push('CODEC_SERVER_TOKEN: must be set when CODEC_SERVER_ADDRESS starts the codec server');
    else if (Buffer.byteLength(token) < MIN_PRODUCTION_SECRET_BYTES) {
      problems.push(`CODEC_SERVER_TOKEN: is shorter than ${MIN_PRODUCTION_SECRET_BYTES} bytes`);
    }
  }
  return problems;
}

/** Every connection that carries payments' data is encrypted, here or by a proxy the deployment names. */
function transportProblems({ entryPoint, set, uses, env }: ProductionCheck): string[] {
  const problems: string[] = [];
  for (const name of ['ZUZ_BASE_URL', 'PMS_BASE_URL']) {
    const value = set(name);
    if (uses(name) && value !== undefined && !/^https:\/\//i.test(value)) problems.push(`${name}: must be an https:// URL`);
  }
  if (entryPoint === 'api') {
    // The API serves plain HTTP: in a deployment TLS must end in front of it, and the deployment must say so.
    const terminated = set('API_TLS_TERMINATED_BY');
    if (terminated === undefined)
      problems.push(
        'API_TLS_TERMINATED_BY: must be set to proxy: the API serves plain HTTP, so TLS must end at a proxy or load balancer in front of it (and API keys never cross a network in clear)',
      );
    else if (terminated !== 'proxy') problems.push(`API_TLS_TERMINATED_BY: must be proxy (got "${terminated}")`);
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
  return problems;
}

/** What a deployment must say rather than inherit from a default meant for the sandbox. */
function settingProblems({ entryPoint, set, uses }: ProductionCheck): string[] {
  const problems: string[] = [];
  // The embedded database is one process's own: an API and a worker on it would keep claims, refunds
  // and late events apart from each other (every refund would then answer 409).
  if (uses('DATABASE_URL') && set('DATABASE_URL') === undefined)
    problems.push(
      'DATABASE_URL: must be set (the PostgreSQL the API and the workers share); the embedded database is for the sandbox only',
    );
  // A key derived from nothing shared would differ between API processes; one derived from the Zuz key is a secret Zuz holds too.
  if (entryPoint === 'api' && set('API_CURSOR_KEY') === undefined)
    problems.push('API_CURSOR_KEY: must be set (32 bytes in base64, the same for every API process): it signs list cursors');
  // The general loader defaults to `test`; a deployment must say which Zuz it talks to.
  if (uses('ZUZ_ENV') && set('ZUZ_ENV') === undefined) problems.push('ZUZ_ENV: must be set explicitly (test or live)');
  // Encryption is production's default: running without it must be said (PAYLOAD_ENCRYPTION=off), never an omission.
  if (uses('PAYLOAD_ENCRYPTION_KEYS') && set('PAYLOAD_ENCRYPTION_KEYS') === undefined && set('PAYLOAD_ENCRYPTION') !== 'off') {
    problems.push(
      'PAYLOAD_ENCRYPTION_KEYS: must be set (keyId:base64-32-bytes entries): without it Temporal stores every payload in clear; PAYLOAD_ENCRYPTION=off says so deliberately',
    );
  }
  return problems;
}
