/**
 * The life of one API request around its operation: injected latency and faults, the
 * idempotency key on writes, and waiting for webhooks under 'before-response'.
 */
import type { Request, RequestHandler, Response } from 'express';
import { badRequest, unavailable, ZuzApiError } from '../errors';
import type { RequestFault } from '../faults';
import type { Reply } from '../idempotency';
import type { OperationResult } from '../operations';
import type { Sleeper } from '../../shared/sleeper';
import type { ZuzState } from '../state';
import { errorReply, sendReply } from './respond';

type Operation = (req: Request, res: Response) => OperationResult | Reply;

export interface ApiCallDeps {
  state: ZuzState;
  sleeper: Sleeper;
}

/** A read: faults apply, nothing is remembered. */
export function readCall({ state, sleeper }: ApiCallDeps, operation: Operation): RequestHandler {
  return async (req, res) => {
    const paymentId = paymentIdOf(req);
    const fault = state.faults.takeRequestFault(paymentId);
    await sleeper.sleep(state.faults.latencyMs(paymentId));
    if (fault === 'fail-before') return sendReply(res, errorReply(unavailable()));
    const { reply } = run(operation, req, res);
    finish(res, reply, fault);
  };
}

/**
 * A write: it needs an idempotency-key; a repeat of the key within the window replays the first
 * answer and performs nothing. A fault that strikes after the work (503 or a reset) does not undo
 * it, and the stored answer is the real one, so a retry with the same key learns what happened.
 */
export function writeCall({ state, sleeper }: ApiCallDeps, operation: Operation): RequestHandler {
  return async (req, res) => {
    const key = req.header('idempotency-key');
    if (!key) return sendReply(res, errorReply(badRequest('Missing idempotency-key header', 'Every POST needs an idempotency-key')));
    const paymentId = paymentIdOf(req);
    const fault = state.faults.takeRequestFault(paymentId);
    await sleeper.sleep(state.faults.latencyMs(paymentId));
    if (fault === 'fail-before') return sendReply(res, errorReply(unavailable()));

    let webhooksSent: Promise<void> = Promise.resolve();
    const scope = `${state.config.appId} ${req.path}`;
    // async on purpose: a synchronous throw from run() must reach idempotency.run as a rejection (it then forgets the key).
    // eslint-disable-next-line @typescript-eslint/require-await
    const { reply } = await state.idempotency.run(scope, key, async () => {
      const result = run(operation, req, res);
      webhooksSent = result.webhooksSent;
      return result.reply;
    });
    await webhooksSent;
    finish(res, reply, fault);
  };
}

function run(operation: Operation, req: Request, res: Response): OperationResult {
  try {
    const result = operation(req, res);
    return 'reply' in result ? result : { reply: result, webhooksSent: Promise.resolve() };
  } catch (error) {
    if (error instanceof ZuzApiError) return { reply: errorReply(error), webhooksSent: Promise.resolve() };
    throw error;
  }
}

function finish(res: Response, reply: Reply, fault: RequestFault): void {
  if (fault === 'fail-after') return sendReply(res, errorReply(unavailable()));
  if (fault === 'reset-after') {
    // The work is done, but the client never hears about it.
    res.socket?.destroy();
    return;
  }
  sendReply(res, reply);
}

function paymentIdOf(req: Request): string | undefined {
  return typeof req.params.paymentId === 'string' ? req.params.paymentId : undefined;
}

/** A named route parameter (the routes only use single-segment ones). */
export function param(req: Request, name: string): string {
  const value = req.params[name];
  return Array.isArray(value) ? value.join('/') : String(value ?? '');
}
