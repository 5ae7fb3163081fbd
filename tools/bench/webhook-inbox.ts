/**
 * The non-durable baseline's webhook endpoint: Zuz's webhooks, checked as the API checks them
 * (signature, shape), handed to whoever waits for that payment's operation — or kept until
 * someone does (a webhook may come before the caller waits).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ZuzOperationKind, ZuzOperationResult } from '../../src/domain/transaction';
import { toOperationResult } from '../../src/infrastructure/zuz/results';
import { isValidWebhookSignature } from '../../src/infrastructure/zuz/signature';
import { zuzEventType, zuzWebhookEvent } from '../../src/infrastructure/zuz/wire';

const KINDS: Record<string, ZuzOperationKind | undefined> = { authorization: 'authorization', capture: 'capture', void: 'void' };

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
        const status = inbox!.accept(req.headers['event-type'], req.headers.signature, Buffer.concat(chunks).toString('utf8'), privateKey);
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

  private accept(eventTypeHeader: unknown, signature: unknown, raw: string, privateKey: string): number {
    const eventType = zuzEventType.safeParse(eventTypeHeader);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return 400;
    }
    const event = zuzWebhookEvent.safeParse(json);
    if (!eventType.success || !event.success) return 400;
    if (!isValidWebhookSignature({ eventType: eventType.data, body: event.data }, typeof signature === 'string' ? signature : undefined, privateKey)) return 401;
    const kind = KINDS[eventType.data.split('.')[1]];
    if (!kind) return 200;
    const result = toOperationResult(kind, event.data.data);
    if (result.status === 'Pending') return 200;
    const key = `${event.data.payment_id}:${kind}`;
    this.arrived.set(key, result);
    this.waiting.get(key)?.(result);
    this.waiting.delete(key);
    return 200;
  }
}
