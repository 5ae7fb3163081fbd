/**
 * What the worker calls as Zuz in the operator journey: a pass-through to the Zuz simulator that,
 * for the payments the test names, refuses voids the way Zuz refuses an operation a payment does
 * not allow (409 in the provider's error shape) without passing them on. It stands in for a
 * simulator fault the simulator does not have ("refuse this payment's voids for a while"): with
 * it the test stages a release that Zuz would not take, then takes it again.
 *
 * Every other request, and every answer, goes through untouched; a refused void never reaches the
 * simulator, so its ledger counts only the voids Zuz really performed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ZuzFront {
  url: string;
  /** Refuse every void of this payment from now on, until `acceptVoids`. */
  refuseVoids(paymentId: string): void;
  acceptVoids(paymentId: string): void;
  /** How many voids of this payment were refused here. */
  refusedVoids(paymentId: string): number;
  /** The idempotency keys of the voids of this payment passed on to the simulator, in order. */
  forwardedVoids(paymentId: string): string[];
  close(): Promise<void>;
}

const VOID_PATH = /^\/payments\/([^/?]+)\/voids\/?(?:\?.*)?$/;

export async function startZuzFront(zuzUrl: string): Promise<ZuzFront> {
  const target = new URL(zuzUrl);
  const refusing = new Set<string>();
  const refused = new Map<string, number>();
  const forwarded = new Map<string, string[]>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const voided = req.method === 'POST' ? VOID_PATH.exec(req.url ?? '') : null;
    const paymentId = voided ? decodeURIComponent(voided[1]) : undefined;
    if (paymentId && refusing.has(paymentId)) {
      req.resume();
      refused.set(paymentId, (refused.get(paymentId) ?? 0) + 1);
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ category: 'api_request_error', description: 'The payment cannot be voided now (refused by the test)' }));
      return;
    }
    if (paymentId) forwarded.set(paymentId, [...(forwarded.get(paymentId) ?? []), String(req.headers['idempotency-key'])]);
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // A simulator fault that drops the connection reaches the worker as a dropped connection too.
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const server = await new Promise<Server>((resolve) => {
    const listening = createServer(handle).listen(0, '127.0.0.1', () => resolve(listening));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    refuseVoids: (paymentId) => void refusing.add(paymentId),
    acceptVoids: (paymentId) => void refusing.delete(paymentId),
    refusedVoids: (paymentId) => refused.get(paymentId) ?? 0,
    forwardedVoids: (paymentId) => [...(forwarded.get(paymentId) ?? [])],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
