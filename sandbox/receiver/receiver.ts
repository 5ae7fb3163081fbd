/**
 * A merchant's receiver of signed events, as a newcomer or a merchant would write one: it takes
 * every POST, checks `Pos-Signature` with the snippet docs/merchant-events.md shows (./verify.ts),
 * answers, and keeps a receipt of each request (event id, type, transaction, whether the signature
 * verified, what it answered). `npm run receiver` prints each receipt; the chaos run gives it
 * faults (answer 500, hang, drop the connection) and reads the receipts for `merchant-told`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifyMerchantEventSignature } from './verify';

/**
 * How the receiver treats the requests that arrive while it holds: answer (2xx when the signature
 * verifies, 400 when it does not, as the docs advise), answer 500, hold the request `hangMs`
 * before answering, or drop the connection without an answer.
 */
export type ReceiverMode = 'normal' | 'fail' | 'hang' | 'drop';

export interface ReceiverFault {
  mode: ReceiverMode;
  /** For `hang`: how long each request is held before it is answered (the sender may give up first). */
  hangMs?: number;
}

export interface Receipt {
  /** Arrival order, from 1. */
  n: number;
  /** Epoch ms of the arrival. */
  at: number;
  eventId?: string;
  type?: string;
  transactionId?: string;
  refundId?: string;
  /** The docs' snippet's verdict over the raw body; `unchecked` while no secret is known. */
  signature: 'verified' | 'refused' | 'unchecked';
  /**
   * What the sender was answered: a status code; `dropped` (the receiver closed the connection on
   * purpose); `sender-gone` (the sender closed it first, e.g. its attempt timed out during a hang).
   */
  answer: number | 'dropped' | 'sender-gone';
  /** The answer's reason, when it was not the plain 2xx of a verified event. */
  why?: string;
  /** This event id was already answered 2xx before (at least once: a receiver deduplicates by id). */
  duplicate: boolean;
}

export interface EventReceiverOptions {
  /** 0 (the default): a free port. Loopback only. */
  port?: number;
  /** The endpoint's secret (`whsec_…`, shown once when it is registered); settable later with `setSecret`. */
  secret?: string;
  /** Answer 500 to the first N requests (the retries and the attempts list then show). */
  failFirst?: number;
  /** Told of each receipt once its answer is settled. */
  onReceipt?: (receipt: Receipt) => void;
}

export interface EventReceiver {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  readonly receipts: readonly Receipt[];
  setSecret(secret: string): void;
  setFault(fault: ReceiverFault): void;
  readonly fault: ReceiverFault;
  close(): Promise<void>;
}

/** The most a body may be (an event is a few kilobytes). */
const MAX_BODY_BYTES = 1 << 20;

export async function startEventReceiver(options: EventReceiverOptions = {}): Promise<EventReceiver> {
  const receipts: Receipt[] = [];
  const answeredIds = new Set<string>();
  const sockets = new Set<Socket>();
  const holds = new Set<NodeJS.Timeout>();
  let secret = options.secret;
  let fault: ReceiverFault = { mode: 'normal' };
  let failuresLeft = options.failFirst ?? 0;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const receipt = receiptOf(receipts.length + 1, rawBody, req, secret);
      receipts.push(receipt);
      const settle = (answer: Receipt['answer'], why?: string) => {
        receipt.answer = answer;
        if (why) receipt.why = why;
        if (typeof answer === 'number' && answer >= 200 && answer < 300 && receipt.eventId) {
          receipt.duplicate = answeredIds.has(receipt.eventId);
          answeredIds.add(receipt.eventId);
        }
        options.onReceipt?.(receipt);
      };
      const reply = (status: number, why?: string) => {
        if (res.destroyed || req.socket.destroyed) return settle('sender-gone', why);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status < 300 ? { received: true } : { error: why ?? `answered ${status}` }));
        settle(status, why);
      };
      const answer = (why?: string) => {
        if (receipt.signature === 'refused') return reply(400, [why, 'the signature did not verify'].filter(Boolean).join('; '));
        reply(200, why);
      };
      if (failuresLeft > 0) {
        failuresLeft--;
        return reply(500, `failing on purpose (--fail-first: ${(options.failFirst ?? 0) - failuresLeft} of ${options.failFirst})`);
      }
      const now = fault;
      if (now.mode === 'fail') return reply(500, 'failing on purpose (fault)');
      if (now.mode === 'drop') {
        req.socket.destroy();
        return settle('dropped', 'connection dropped on purpose (fault)');
      }
      if (now.mode === 'hang') {
        const hold = setTimeout(() => {
          holds.delete(hold);
          if (res.destroyed || req.socket.destroyed) return settle('sender-gone', `held ${now.hangMs} ms on purpose (fault)`);
          answer(`held ${now.hangMs} ms on purpose (fault), then answered`);
        }, now.hangMs ?? 5_000);
        holds.add(hold);
        return;
      }
      answer();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/events`,
    port,
    receipts,
    setSecret: (value) => (secret = value),
    setFault: (value) => (fault = value),
    get fault() {
      return fault;
    },
    async close() {
      for (const hold of holds) clearTimeout(hold);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function receiptOf(n: number, rawBody: string, req: IncomingMessage, secret: string | undefined): Receipt {
  let event: { id?: unknown; type?: unknown; transactionId?: unknown; data?: { refundId?: unknown } } = {};
  try {
    event = JSON.parse(rawBody) as typeof event;
  } catch {
    // not JSON: the event id from the header, the rest unknown
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const header = req.headers['pos-signature'];
  return {
    n,
    at: Date.now(),
    eventId: text(event.id) ?? text(req.headers['pos-event-id']),
    type: text(event.type),
    transactionId: text(event.transactionId),
    refundId: text(event.data?.refundId),
    signature:
      secret === undefined ? 'unchecked' : verifyMerchantEventSignature(rawBody, String(header ?? ''), secret) ? 'verified' : 'refused',
    answer: 'sender-gone',
    duplicate: false,
  };
}

/** One line per receipt, as `npm run receiver` prints it. */
export function describeReceipt(receipt: Receipt): string {
  const time = new Date(receipt.at).toISOString().slice(11, 23);
  const subject = receipt.refundId ? `tx ${receipt.transactionId} refund ${receipt.refundId}` : `tx ${receipt.transactionId ?? '?'}`;
  const signature = { verified: 'signature verified', refused: 'SIGNATURE REFUSED', unchecked: 'signature not checked (no --secret)' }[
    receipt.signature
  ];
  const notes = [receipt.why, receipt.duplicate ? 'again: already received, a receiver deduplicates by id' : undefined].filter(Boolean);
  return `${time} #${receipt.n} ${receipt.type ?? '(no type)'} ${receipt.eventId ?? '(no id)'} ${subject}, ${signature} -> ${receipt.answer}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}
