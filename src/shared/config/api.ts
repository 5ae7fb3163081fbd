/** The API process: its listener, keys, limits, cursors, pseudonyms and the codec server. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseApiKeys, type ApiKey } from '../../merchants/model';
import { PAYLOAD_KEY_BYTES } from '../payload-codec';
import { ConfigError, parse, port, nonEmpty, positiveInt, base64Key, listenAddress, sandboxSchema, type Env } from './env';
import { loadPayloadEncryption } from './payload-encryption';

/** API_KEYS: `merchantId:key` entries or bare keys (the format and its rules: parseApiKeys in ./domain/merchant.ts). */
export const apiKeys = z.string().transform((value, ctx): ApiKey[] => {
  const { keys, problems } = parseApiKeys(value);
  for (const message of problems) ctx.issues.push({ code: 'custom', message, input: value });
  return keys;
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
