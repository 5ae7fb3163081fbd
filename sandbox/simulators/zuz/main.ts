/** Standalone Zuz simulator: `node build/sandbox/simulators/zuz/main.js` (configured by ZUZ_* and SIM_TIME_SCALE). */
import { stopOnSignals, valueOrExit } from '../shared/env';
import { zuzOptionsFromEnv } from './envConfig';
import { startZuzSimulator } from './server';

async function main(): Promise<void> {
  const options = valueOrExit(zuzOptionsFromEnv(process.env));
  const simulator = await startZuzSimulator(options);
  console.log(
    `Zuz simulator listening on ${simulator.url} (env ${options.environment}, time scale ${options.timeScale}, webhooks to ${options.webhookUrl})`,
  );
  stopOnSignals(() => simulator.close());
}

main().catch((error: unknown) => {
  console.error('Zuz simulator failed to start:', error);
  process.exit(1);
});
