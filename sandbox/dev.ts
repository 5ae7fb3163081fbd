/**
 * `npm start`: the embedded default. Everything on this machine, history and data kept under
 * POS_DATA_DIR (default ./.data) so a restart keeps every transaction. Ctrl-C stops it all.
 */
import './log-format'; // first: sets LOG_FORMAT before the logger is created (imports nothing)
import { tracing } from '../src/shared/tracing'; // instruments HTTP before anything loads it
import { ConfigError, loadWorkerOpsConfig } from '../src/shared/config';
import { logger } from '../src/shared/logger';
import { startLocalStack } from './local-stack';
import { loadMerchantEventsWorkerConfig } from '../src/shared/config';
import { deliveryRetryFromEnv, startMerchantEventDispatcher } from '../src/merchant-events/dispatcher';

async function main(): Promise<void> {
  const stack = await startLocalStack({ persist: true, tracing });
  // Merchant events (docs/merchant-events.md): the outbox's dispatcher, as the worker process runs it.
  const dispatcher = startMerchantEventDispatcher({
    client: stack.client,
    db: stack.db,
    taskQueue: loadMerchantEventsWorkerConfig(stack.env).taskQueue,
    retry: deliveryRetryFromEnv(stack.env),
    onError: (err) =>
      logger.warn({ component: 'merchant-events', err: String(err) }, 'dispatching merchant events failed; next tick retries'),
  });
  const banner = [
    '',
    'POS payment service is running:',
    `  API         ${stack.apiUrl}   (Authorization: Bearer ${stack.apiKey})`,
    `  Temporal UI ${stack.uiUrl}${stack.codecEndpoint ? `   (payloads encrypted; decoded for the UI by ${stack.codecEndpoint})` : '   (payloads in clear)'}`,
    `  Temporal    ${stack.temporalAddress}`,
    `  Metrics     ${stack.apiMetricsUrl}/metrics (API), http://${loadWorkerOpsConfig().metricsAddress}/metrics (worker)`,
    `  Zuz sim     ${stack.zuz.url}`,
    `  PMS sim     ${stack.pms.url}`,
    '',
    'Try:',
    `  curl -s -X POST ${stack.apiUrl}/v1/transactions -H 'Authorization: Bearer ${stack.apiKey}' -H 'Content-Type: application/json' \\`,
    `    -d '{"transactionId":"tx-1","customerId":"cus_demo","paymentMethodId":"pm_approved","amount":1250,"currency":"EUR"}'`,
    `  curl -s ${stack.apiUrl}/v1/transactions/tx-1 -H 'Authorization: Bearer ${stack.apiKey}'`,
    '',
    'See the merchant events arrive, signed (docs/merchant-events.md, "Try it"): register an endpoint, then run a receiver for it:',
    `  curl -s -X POST ${stack.apiUrl}/v1/webhook-endpoints -H 'Authorization: Bearer ${stack.apiKey}' -H 'Content-Type: application/json' \\`,
    `    -d '{"url":"http://127.0.0.1:4300/events"}'`,
    '  npm run receiver -- --port 4300 --secret <the secret it answered> [--fail-first 3]',
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(banner.join('\n'));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    await dispatcher.stop();
    await stack.stop();
    await tracing?.shutdown();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `Could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
