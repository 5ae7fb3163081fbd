/** The standalone PMS simulator's environment variables. */
import { z } from 'zod';
import { DEFAULT_MERCHANT_ID, merchantsOfApiKeys, parseApiKeys } from '../../../src/merchants/model';
import { blankAsUndefined, parseEnv, portVariable, type EnvResult } from '../shared/env';

/**
 * The merchants the mock cards are seeded for: those of the service's API_KEYS (`merchantId:key`
 * entries; a bare key is the merchant `default`), read with the service's own parser. Unset: `default`.
 */
const merchantsOfApiKeysVariable = z.string().transform((value, ctx): string[] => {
  const { keys, problems } = parseApiKeys(value);
  for (const message of problems) ctx.issues.push({ code: 'custom', message, input: value });
  return merchantsOfApiKeys(keys);
});

const pmsEnv = z.object({
  PMS_SIM_PORT: portVariable(4200),
  PMS_SIM_HOST: z.preprocess(blankAsUndefined, z.string().default('127.0.0.1')),
  PMS_API_KEY: z.preprocess(blankAsUndefined, z.string().default('dev-pms-key')),
  API_KEYS: z.preprocess(blankAsUndefined, merchantsOfApiKeysVariable.default([DEFAULT_MERCHANT_ID])),
});

export interface PmsEnvConfig {
  port: number;
  host: string;
  apiKey: string;
  /** Who the mock cards are seeded for. */
  merchants: string[];
}

export function pmsConfigFromEnv(env: NodeJS.ProcessEnv): EnvResult<PmsEnvConfig> {
  const result = parseEnv(pmsEnv, env);
  if (!result.ok) return result;
  const { PMS_SIM_PORT: port, PMS_SIM_HOST: host, PMS_API_KEY: apiKey, API_KEYS: merchants } = result.value;
  return { ok: true, value: { port, host, apiKey, merchants } };
}
