/**
 * The non-durable baseline's webhook endpoint: Zuz's webhooks, checked as the API checks them
 * (signature, shape), handed to whoever waits for that payment's operation — or kept until
 * someone does (a webhook may come before the caller waits).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ZuzOperationKind, ZuzOperationResult } from '../../src/transaction/model';
import { verifyZuzWebhook } from '../../src/zuz';

export class WebhookInbox {
  private readonly arrived = new Map<string, ZuzOperationResult>();
  private readonly waiting = new Map<string, (result: ZuzOperationResult) => void>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(privateKey: string): Promise<WebhookInbox> {
    let inbox: WebhookInbox | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = inbox!.accept(req.headers['event-type'], req.headers.signature, Buffer.concat(chunks), privateKey);
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    inbox = new WebhookInbox(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/zuz`);
    return inbox;
  }

  /** The final result of `kind` on `paymentId`, when its webhook comes. */
  final(paymentId: string, kind: ZuzOperationKind): Promise<ZuzOperationResult> {
    const key = `${paymentId}:${kind}`;
    const known = this.arrived.get(key);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => this.waiting.set(key, resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(eventTypeHeader: unknown, signature: unknown, rawBody: Buffer, privateKey: string): number {
    const verdict = verifyZuzWebhook(
      { eventTypeHeader, signatureHeader: typeof signature === 'string' ? signature : undefined, rawBody },
      // The baseline measures the flow, not replay protection: an event of any age is taken.
      { privateKey, maxAgeMs: Number.POSITIVE_INFINITY },
    );
    if (!verdict.ok) return verdict.reason === 'not_an_operation' ? 200 : verdict.reason === 'invalid_signature' ? 401 : 400;
    const { event } = verdict;
    if (event.status === 'Pending') return 200;
    const key = `${event.paymentId}:${event.kind}`;
    this.arrived.set(key, event);
    this.waiting.get(key)?.(event);
    this.waiting.delete(key);
    return 200;
  }
}
