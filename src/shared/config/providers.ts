/** The outside systems the worker calls: Zuz and PMS. */
import { z } from 'zod';
import { parse, nonEmpty, positiveInt, httpUrl, type Env } from './env';

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
