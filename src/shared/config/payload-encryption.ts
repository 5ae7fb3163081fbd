import { z } from 'zod';
import { KEY_ID_PATTERN, PAYLOAD_KEY_BYTES, PayloadKeyring, type PayloadEncryptionConfig } from '../payload-codec';
import { ConfigError, parse, base64Key, type Env } from './env';

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
