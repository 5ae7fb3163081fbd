/** A local webhook endpoint for the tests: records what arrives and answers as scripted. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
  receivedAt: number;
}

/** 'reset' destroys the connection; 'hang' never answers (until the receiver closes). */
export type ScriptedAnswer = number | 'reset' | 'hang' | { status: number; afterMs: number };

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** The answers for the next requests, in order; after them every request gets 200. */
  script(...answers: ScriptedAnswer[]): void;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let answers: ScriptedAnswer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let waiters: Array<() => void> = [];

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, rawBody, body: JSON.parse(rawBody), receivedAt: Date.now() });
      for (const wake of waiters) wake();
      waiters = [];
      const answer = answers.shift() ?? 200;
      if (answer === 'reset') return req.socket.destroy();
      if (answer === 'hang') return;
      if (typeof answer === 'number') return void res.writeHead(answer).end();
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.writeHead(answer.status).end();
      }, answer.afterMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/webhooks/zuz`,
    received,
    script: (...next) => {
      answers = next;
    },
    waitFor: async (count, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} webhooks, got ${received.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return received.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
