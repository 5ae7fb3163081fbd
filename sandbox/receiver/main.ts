/**
 * `npm run receiver -- --port 4300 --secret whsec_… [--fail-first 3]`: a merchant's endpoint on
 * loopback that prints every event it receives (type, id, transaction, whether `Pos-Signature`
 * verified with the snippet of docs/merchant-events.md) and what it answered. `--fail-first N`
 * answers 500 to the first N requests, so the retries show here and in the endpoint's attempts list.
 * Register it with `POST /v1/webhook-endpoints {"url":"http://127.0.0.1:<port>/events"}` (the secret
 * is in that answer). Walk-through: docs/merchant-events.md, "Try it". Ctrl-C stops it.
 */
import { parseArgs } from 'node:util';
import { describeReceipt, startEventReceiver, type Receipt } from './receiver';

const USAGE = `usage: npm run receiver -- [--port 4300] [--secret whsec_…] [--fail-first N]
  --port        where to listen on 127.0.0.1 (default 4300)
  --secret      the endpoint's secret from POST /v1/webhook-endpoints: each event's Pos-Signature is checked with it
  --fail-first  answer 500 to the first N requests (default 0): Temporal retries them, the attempts list shows them
(docs/merchant-events.md, "Try it")`;

function parse(argv: string[]): { port: number; secret?: string; failFirst: number } | string {
  let values: { port?: string; secret?: string; 'fail-first'?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, secret: { type: 'string' }, 'fail-first': { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const port = Number(values.port ?? 4300);
  const failFirst = Number(values['fail-first'] ?? 0);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `--port must be a port number (got "${values.port}")`;
  if (!Number.isInteger(failFirst) || failFirst < 0) return `--fail-first must be a whole number >= 0 (got "${values['fail-first']}")`;
  if (values.secret !== undefined && !values.secret.trim()) return '--secret must not be empty';
  return { port, secret: values.secret?.trim(), failFirst };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).filter((arg) => arg !== '--');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const args = parse(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  const say = (line: string) => console.log(`[receiver] ${line}`);
  const receiver = await startEventReceiver({
    port: args.port,
    secret: args.secret,
    failFirst: args.failFirst,
    onReceipt: (receipt) => say(describeReceipt(receipt)),
  });
  say(`listening on ${receiver.url}`);
  say(
    args.secret
      ? "each event's Pos-Signature is checked with the secret given (the snippet of docs/merchant-events.md)"
      : 'no --secret: signatures are not checked (give the secret POST /v1/webhook-endpoints answered)',
  );
  if (args.failFirst) say(`the first ${args.failFirst} requests are answered 500: watch them come again`);
  say(
    `register it: curl -s -X POST localhost:3000/v1/webhook-endpoints -H 'Authorization: Bearer dev-api-key-0123456789' -H 'Content-Type: application/json' -d '{"url":"${receiver.url}"}'`,
  );

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receiver.close();
  say(summary(receiver.receipts));
  return 0;
}

function summary(receipts: readonly Receipt[]): string {
  const events = new Set(receipts.map((r) => r.eventId));
  const answered = new Set(receipts.filter((r) => typeof r.answer === 'number' && r.answer < 300).map((r) => r.eventId));
  const refused = receipts.filter((r) => r.signature === 'refused').length;
  return `stopped: ${receipts.length} requests, ${events.size} distinct events, ${answered.size} answered 2xx, ${refused} signatures refused`;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[receiver] could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
