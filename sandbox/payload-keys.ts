/**
 * The sandbox's payload encryption keys: `npm start` encrypts payloads as production does, with a
 * key generated on the first run and kept under the data directory (next to the history it
 * protects: deleting one without the other makes no sense), so a restart still reads every
 * transaction. A key set in the environment wins; PAYLOAD_ENCRYPTION=off runs without.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PAYLOAD_KEY_BYTES } from '../src/shared/payload-codec';

type Env = Record<string, string | undefined>;

export const SANDBOX_KEYS_FILE = 'payload-keys.json';

interface StoredKeys {
  PAYLOAD_ENCRYPTION_KEYS: string;
  CUSTOMER_PSEUDONYM_KEY: string;
}

/** A fresh `keyId:base64` entry of PAYLOAD_ENCRYPTION_KEYS. */
export function newPayloadKeyEntry(keyId: string): string {
  return `${keyId}:${randomBytes(PAYLOAD_KEY_BYTES).toString('base64')}`;
}

/** A fresh CUSTOMER_PSEUDONYM_KEY. */
export function newPseudonymKey(): string {
  return randomBytes(PAYLOAD_KEY_BYTES).toString('base64');
}

/** Fresh keys for a throwaway stack (the chaos and bench runs): nothing outlives the run, so nothing is stored. */
export function throwawayEncryptionEnv(): StoredKeys {
  return { PAYLOAD_ENCRYPTION_KEYS: newPayloadKeyEntry('throwaway-1'), CUSTOMER_PSEUDONYM_KEY: newPseudonymKey() };
}

/**
 * The encryption variables for a sandbox whose data lives in `dataDir`: the environment's when it
 * sets them, else the keys stored in `<dataDir>/payload-keys.json`, generated (readable by this
 * user only) on the first run. Empty with PAYLOAD_ENCRYPTION=off.
 */
export function sandboxEncryptionEnv(dataDir: string, env: Env): Partial<StoredKeys> {
  if (env.PAYLOAD_ENCRYPTION === 'off') return {};
  if (env.PAYLOAD_ENCRYPTION_KEYS && env.CUSTOMER_PSEUDONYM_KEY) {
    return { PAYLOAD_ENCRYPTION_KEYS: env.PAYLOAD_ENCRYPTION_KEYS, CUSTOMER_PSEUDONYM_KEY: env.CUSTOMER_PSEUDONYM_KEY };
  }
  const file = path.join(dataDir, SANDBOX_KEYS_FILE);
  let stored: StoredKeys;
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys;
  } else {
    stored = {
      PAYLOAD_ENCRYPTION_KEYS: newPayloadKeyEntry(`sandbox-${Date.now().toString(36)}`),
      CUSTOMER_PSEUDONYM_KEY: newPseudonymKey(),
    };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored, null, 1) + '\n', { mode: 0o600, flag: 'wx' });
  }
  return {
    PAYLOAD_ENCRYPTION_KEYS: env.PAYLOAD_ENCRYPTION_KEYS || stored.PAYLOAD_ENCRYPTION_KEYS,
    CUSTOMER_PSEUDONYM_KEY: env.CUSTOMER_PSEUDONYM_KEY || stored.CUSTOMER_PSEUDONYM_KEY,
  };
}
