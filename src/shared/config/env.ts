/**
 * The environment's variables read as typed values: `parse` names every bad variable and why
 * (never a stack trace), and the value types every concern below shares.
 */
import { z } from 'zod';
import ms, { type StringValue } from 'ms';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

export const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be an integer')
  .min(0, 'must be 0-65535')
  .max(65535, 'must be 0-65535');
export const positiveInt = z.coerce.number({ error: 'must be a number' }).int('must be an integer').positive('must be > 0');
export const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233');
export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
export const nonEmpty = z.string().min(1, 'must not be empty');
export const bool = z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

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

/** Standard base64 of exactly `bytes` bytes (what `openssl rand -base64 32` prints). */
export function base64Key(value: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const key = Buffer.from(value, 'base64');
  return key.length === bytes ? key : undefined;
}

export const duration = z.string().refine((v) => {
  try {
    // `ms` is the parser the Temporal SDK itself uses for durations, so what passes here the SDK accepts.
    return ms(v as StringValue) > 0;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 15m, 2h or 7d');

/** host:port, port 0 (any free port) allowed. */
export const listenAddress = hostPort.transform((value, ctx) => {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (port > 65535) ctx.issues.push({ code: 'custom', message: 'the port must be 0-65535', input: value });
  return { host: value.slice(0, at), port };
});

export const sandboxSchema = z.object({ POS_SANDBOX: bool.default(false) });
