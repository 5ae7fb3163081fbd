/**
 * `node build/tools/bench/read-cost.js`: what `GET /v1/transactions/:id` costs as a transaction's
 * history grows, the way a till polls it. A manual-capture transaction waits (authorized) while
 * its history is grown with Zuz events it ignores (each a signal and a workflow task); at each
 * size the step journal's attempts are read both ways, side by side in one run:
 *   - whole history: the history paged through from the start, plus a describe (the route until
 *     the incremental reader);
 *   - incremental: a describe, plus only the events added since the last read (src/transaction/step-attempts.ts),
 *     read again and again as a polling till does;
 * and the route itself is timed over HTTP. Prints a Markdown table of p50s and their ratio.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { reverseHistoryReader, StepAttempts } from '../../src/transaction/step-attempts';
import { DEFAULT_MERCHANT_ID, transactionKey } from '../../src/merchants/model';
import { workflowIdFor, type TransactionView } from '../../src/transaction/model';
import { transactionQuery, zuzEventSignal } from '../../src/transaction/workflow/messages';
import { startLocalStack, throwawayStackEnv } from '../../sandbox/local-stack';
import { argsOrUsage, integer, parseArgs, runToolMain } from '../cli-args';
import { summarizeLatency } from './summary-stats';

const argsSchema = z
  .object({
    sizes: z
      .string()
      .regex(/^\d+(,\d+)*$/, '--sizes must be a comma-separated list of history lengths, e.g. 100,1000,5000')
      .transform((list) => list.split(',').map(Number))
      .default([100, 1000, 5000]),
    reads: integer('reads').min(5, '--reads must be >= 5').max(10_000, '--reads must be <= 10000').default(50),
  })
  .strict();

const USAGE = 'Usage: node build/tools/bench/read-cost.js [--sizes 100,1000,5000] [--reads 50]';

/** The route's attempts before the incremental reader: every page of the history, and a describe. */
async function attemptsFromWholeHistory(handle: WorkflowHandle): Promise<number> {
  const [history] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  return (history.events ?? []).filter((event) => event.activityTaskStartedEventAttributes).length;
}

async function timed(times: number, read: () => Promise<unknown>): Promise<number[]> {
  const spent: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await read();
    spent.push(performance.now() - started);
  }
  return spent;
}

async function main(): Promise<number> {
  const args = argsOrUsage((argv) => parseArgs(argv, argsSchema, { booleanFlags: new Set(), usage: USAGE }), process.argv.slice(2));
  if (!args) return 2;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pos-read-cost-'));
  const stack = await startLocalStack({ env: throwawayStackEnv('read-cost', { DATABASE_URL: '', POS_DATA_DIR: dataDir }) });
  try {
    const transactionId = `read-cost-${randomUUID()}`;
    const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    const get = async () => {
      const response = await fetch(`${stack.apiUrl}/v1/transactions/${transactionId}`, { headers });
      if (response.status !== 200) throw new Error(`GET answered ${response.status}`);
      return (await response.json()) as TransactionView;
    };
    const created = await fetch(`${stack.apiUrl}/v1/transactions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        transactionId,
        customerId: 'cus_demo',
        paymentMethodId: 'pm_approved',
        amount: 1250,
        currency: 'EUR',
        capture: 'manual',
      }),
    });
    if (created.status !== 202) throw new Error(`POST answered ${created.status}`);
    while ((await get()).status !== 'authorized') await new Promise((resolve) => setTimeout(resolve, 100));

    const handle = stack.client.workflow.getHandle(workflowIdFor(transactionKey(DEFAULT_MERCHANT_ID, transactionId)));
    const incremental = new StepAttempts(reverseHistoryReader(stack.client));
    const steps = async () => (await handle.query(transactionQuery)).steps;
    const rows: string[] = [];
    for (const size of args.sizes) {
      // Grow the history to `size` events: Zuz events for an operation the flow does not know (ignored, but recorded).
      for (let length = (await handle.describe()).historyLength; length < size;) {
        const batch = Math.min(50, Math.ceil((size - length) / 3));
        await Promise.all(
          Array.from({ length: batch }, () =>
            handle.signal(zuzEventSignal, {
              kind: 'capture',
              operationId: `cap_unknown_${randomUUID()}`,
              status: 'Pending',
              amount: 1,
              eventId: randomUUID(),
              paymentId: 'pay_elsewhere',
            }),
          ),
        );
        length = (await handle.describe()).historyLength;
      }
      const length = (await handle.describe()).historyLength;
      const journal = await steps();
      await incremental.of(handle, journal); // a till that polls has read it before
      const whole = summarizeLatency(await timed(args.reads, () => attemptsFromWholeHistory(handle)));
      const fresh = summarizeLatency(await timed(args.reads, () => incremental.of(handle, journal)));
      const route = summarizeLatency(await timed(args.reads, get));
      const ratio = whole.p50 && fresh.p50 ? (whole.p50 / fresh.p50).toFixed(1) : '-';
      rows.push(`| ${length} | ${whole.p50} | ${fresh.p50} | ${ratio}x | ${route.p50} | ${route.p99} |`);
      console.error(`history ${length} events: whole ${whole.p50} ms, incremental ${fresh.p50} ms, GET ${route.p50} ms`);
    }
    console.log(
      [
        `${args.reads} reads each, p50 ms (one run, side by side)`,
        '',
        '| history events | attempts from the whole history + describe | incremental (describe + new events) | ratio | GET /v1/transactions/:id p50 | p99 |',
        '| ---: | ---: | ---: | ---: | ---: | ---: |',
        ...rows,
      ].join('\n'),
    );
    return 0;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runToolMain(main);
}
