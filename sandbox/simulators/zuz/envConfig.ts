/** The standalone Zuz simulator's environment variables. */
import { z } from 'zod';
import { blankAsUndefined, parseEnv, portVariable, type EnvResult } from '../shared/env';
import type { ZuzSimulatorOptions } from './config';

const zuzEnv = z.object({
  ZUZ_SIM_PORT: portVariable(4100),
  ZUZ_SIM_HOST: z.preprocess(blankAsUndefined, z.string().default('127.0.0.1')),
  ZUZ_APP_ID: z.preprocess(blankAsUndefined, z.string().default('pos-dev-app')),
  ZUZ_PRIVATE_KEY: z.preprocess(blankAsUndefined, z.string().default('dev-zuz-private-key')),
  ZUZ_ENV: z.preprocess(blankAsUndefined, z.enum(['test', 'live']).default('test')),
  ZUZ_WEBHOOK_URL: z.preprocess(
    blankAsUndefined,
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:3000/webhooks/zuz'),
  ),
  SIM_TIME_SCALE: z.preprocess(
    blankAsUndefined,
    z
      .string()
      .regex(/^\d*\.?\d+(e-?\d+)?$/i, 'must be a positive number, e.g. 1 or 0.001')
      .transform(Number)
      .pipe(z.number().positive('must be greater than 0').finite())
      .default(1),
  ),
});

export function zuzOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): EnvResult<Required<Omit<ZuzSimulatorOptions, 'accountId' | 'webhookTimeoutMs'>>> {
  const result = parseEnv(zuzEnv, env);
  if (!result.ok) return result;
  const v = result.value;
  return {
    ok: true,
    value: {
      port: v.ZUZ_SIM_PORT,
      host: v.ZUZ_SIM_HOST,
      appId: v.ZUZ_APP_ID,
      privateKey: v.ZUZ_PRIVATE_KEY,
      environment: v.ZUZ_ENV,
      webhookUrl: v.ZUZ_WEBHOOK_URL,
      timeScale: v.SIM_TIME_SCALE,
    },
  };
}
