/**
 * The sandbox's configuration (`npm start` and the tests): where the Temporal binaries are cached
 * and where the dev server and the simulators listen. The service's own configuration is
 * src/shared/config.ts; nothing here ships.
 */
import { homedir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { nonEmpty, parse, port, type Env } from '../src/shared/config';
import { merchantsOfApiKeys, parseApiKeys } from '../src/merchants/model';

/** Where the provisioning script caches the Temporal binaries (outside the work tree). */
export function binaryCacheDir(env: Env = process.env): string {
  return env.POS_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'pos-payments');
}

const devSchema = z.object({
  TEMPORAL_CLI: nonEmpty.optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  // The codec server the Web UI decrypts payloads through (loopback only: see sandbox/local-stack.ts).
  CODEC_SERVER_PORT: port.default(8888),
  ZUZ_SIM_PORT: port.default(4100),
  PMS_SIM_PORT: port.default(4200),
  SIM_TIME_SCALE: z.coerce.number({ error: 'must be a number' }).positive('must be > 0').default(1),
  POS_DATA_DIR: nonEmpty.default('.data'),
});

/** The embedded default (`npm start`): where the dev server and the simulators listen. */
export function loadDevConfig(env: Env = process.env) {
  const c = parse(devSchema, env);
  return {
    temporalCli: c.TEMPORAL_CLI ?? path.join(binaryCacheDir(env), 'bin', 'temporal'),
    temporalPort: c.TEMPORAL_PORT,
    temporalUiPort: c.TEMPORAL_UI_PORT,
    codecServerPort: c.CODEC_SERVER_PORT,
    zuzSimPort: c.ZUZ_SIM_PORT,
    pmsSimPort: c.PMS_SIM_PORT,
    simTimeScale: c.SIM_TIME_SCALE,
    dataDir: path.resolve(c.POS_DATA_DIR),
  };
}

/** The embedded default's credentials: for a local sandbox only, never for a real deployment. */
export const DEV_DEFAULTS = {
  API_KEYS: 'dev-api-key-0123456789',
  ZUZ_APP_ID: 'pos-dev-app',
  ZUZ_PRIVATE_KEY: 'dev-zuz-private-key',
  PMS_API_KEY: 'dev-pms-key',
  // The sandbox's operator: creates merchants and issues their keys (docs/operations.md).
  OPERATOR_API_KEYS: 'dev-operator-key-0123456789',
  // Every seeded card belongs to one customer, so the sandbox would hit production's per-customer limits within minutes.
  RISK_MAX_TRANSACTIONS_PER_HOUR: '10000',
  RISK_MAX_AMOUNT_PER_DAY: '100000000',
};

/** The merchants of an API_KEYS list (a malformed list is the API's configuration error to report, at its start). */
export function merchantsOf(apiKeys: string): string[] {
  return merchantsOfApiKeys(parseApiKeys(apiKeys).keys);
}
