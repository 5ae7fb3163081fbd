/**
 * POST /webhooks/zuz: Zuz's asynchronous answers, turned into signals to the transaction's
 * workflow. 2xx only once the event is durably in Temporal (or there is nothing to deliver it
 * to), so Zuz retries everything else; the workflow itself drops duplicates by event id.
 */
import express, { Router } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { workflowIdFor, type ZuzEvent, type ZuzOperationKind } from '../domain/transaction';
import { isValidWebhookSignature } from '../infrastructure/zuz/signature';
import { toOperationResult } from '../infrastructure/zuz/results';
import { zuzEventType, zuzWebhookEvent } from '../infrastructure/zuz/wire';
import type { Logger } from '../infrastructure/logger';
import type { WebhookOutcome } from './metrics';
import { zuzEventSignal } from '../workflows/messages';
import { allowOnly, ApiError, validationError } from './errors';

export interface WebhookOptions {
  client: Client;
  privateKey: string;
  /** Events created longer ago than this are refused (replay protection, with dedup on the event id). */
  maxAgeMs: number;
  log: Logger;
  /** Counts each webhook's outcome. */
  count: (outcome: WebhookOutcome) => void;
}

const KINDS: Record<string, ZuzOperationKind | undefined> = { authorization: 'authorization', capture: 'capture', void: 'void' };

export function zuzWebhookRouter({ client, privateKey, maxAgeMs, log, count }: WebhookOptions): Router {
  const router = Router();
  router.post('/', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    res.on('finish', () => count(outcomeOf(res.statusCode, res.locals.outcome)));
    const eventType = zuzEventType.safeParse(req.header('event-type'));
    if (!eventType.success) throw validationError(eventType.error, 'event-type header');
    const event = zuzWebhookEvent.safeParse(parseJson(req.body));
    if (!event.success) throw validationError(event.error);

    const body = event.data;
    if (!isValidWebhookSignature({ eventType: eventType.data, body }, req.header('signature'), privateKey)) {
      throw new ApiError(401, 'invalid_signature', 'The signature does not match the event');
    }
    const created = Date.parse(body.created);
    if (Number.isNaN(created) || Date.now() - created > maxAgeMs) {
      throw new ApiError(400, 'stale_event', 'The event is too old or has no valid creation time');
    }

    const kind = KINDS[eventType.data.split('.')[1]];
    const transactionId = body.data.reconciliation_id;
    if (!kind || !transactionId) {
      res.locals.outcome = 'ignored';
      res.status(200).json({ outcome: 'ignored' });
      return;
    }
    const signal: ZuzEvent = { ...toOperationResult(kind, body.data), eventId: body.id, paymentId: body.payment_id };
    try {
      await client.workflow.getHandle(workflowIdFor(transactionId)).signal(zuzEventSignal, signal);
      log.info({ eventId: body.id, transactionId, kind, status: signal.status }, 'Zuz event delivered');
      res.locals.outcome = 'delivered';
      res.status(200).json({ outcome: 'delivered' });
    } catch (err) {
      // A finished (or unknown) transaction needs nothing more: 2xx stops Zuz retrying, and says nothing of whether it exists.
      if (err instanceof WorkflowNotFoundError) {
        res.locals.outcome = 'ignored';
        res.status(200).json({ outcome: 'ignored' });
        return;
      }
      log.warn({ eventId: body.id, err: String(err) }, 'Zuz event not delivered; Zuz will retry');
      throw new ApiError(503, 'unavailable', 'The event could not be handed over; retry later');
    }
  });
  router.all('/', allowOnly('POST'));
  return router;
}

function parseJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new ApiError(400, 'invalid_json', 'The body must be a JSON event');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid JSON');
  }
}

function outcomeOf(status: number, outcome: unknown): WebhookOutcome {
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'rejected';
  return outcome === 'ignored' ? 'ignored' : 'delivered';
}
