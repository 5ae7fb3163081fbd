/**
 * Standalone PMS simulator: `node build/sandbox/simulators/pms/main.js`, configured by PMS_SIM_*
 * and PMS_API_KEY, with the mock cards seeded for each merchant of API_KEYS (`default` when unset).
 */
import { pmsConfigFromEnv } from './envConfig';
import { startPmsSimulator } from './server';
import { stopOnSignals, valueOrExit } from '../shared/env';

async function main(): Promise<void> {
  const config = valueOrExit(pmsConfigFromEnv(process.env));
  const simulator = await startPmsSimulator(config);
  console.log(`PMS simulator listening on ${simulator.url} (cards seeded for ${config.merchants.join(', ')})`);
  stopOnSignals(() => simulator.close());
}

main().catch((error: unknown) => {
  console.error('PMS simulator failed to start:', error);
  process.exit(1);
});
