/** The standalone PMS simulator's environment variables. */
import { z } from 'zod';
import { blankAsUndefined, parseEnv, portVariable, type EnvResult } from '../shared/env';

const pmsEnv = z.object({
  PMS_SIM_PORT: portVariable(4200),
  PMS_SIM_HOST: z.preprocess(blankAsUndefined, z.string().default('127.0.0.1')),
  PMS_API_KEY: z.preprocess(blankAsUndefined, z.string().default('dev-pms-key')),
});

export interface PmsEnvConfig {
  port: number;
  host: string;
  apiKey: string;
}

export function pmsConfigFromEnv(env: NodeJS.ProcessEnv): EnvResult<PmsEnvConfig> {
  const result = parseEnv(pmsEnv, env);
  if (!result.ok) return result;
  return { ok: true, value: { port: result.value.PMS_SIM_PORT, host: result.value.PMS_SIM_HOST, apiKey: result.value.PMS_API_KEY } };
}
