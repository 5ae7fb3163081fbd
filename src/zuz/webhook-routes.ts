/**
 * POST /webhooks/zuz: Zuz's asynchronous answers, turned into signals to the transaction's
 * workflow. An event for a transaction whose workflow has finished (or that Temporal has
 * forgotten) is kept in the record's late-event store for reconciliation: a late answer can
 * mean money moved after the flow decided. 2xx only once the event is durably in Temporal or
 * in the database (or names nothing we know), so Zuz retries everything else.
 *
 * A replay of an event the workflow already has is acknowledged without a signal, so replays
 * (Zuz's retries, or a captured webhook sent again) add nothing to the workflow's history: the
 * record notes each event id once Temporal has taken its signal. Noting it only afterwards means
 * a failed hand-over is retried, never lost; two copies racing each other may both be signalled,
 * and the workflow drops the second by event id.
 */
import express, { Router, type Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { workflowIdFor, type ZuzEvent } from '../transaction/model';
import { refundWorkflowIdFor, transactionKeyOfRefund } from '../refund/model';
import { verifyZuzWebhook, type ZuzWebhookVerdict } from '.';
import type { Logger } from '../shared/logger';
import type { TransactionRecords } from '../transaction/record';
import type { WebhookOutcome } from '../api/metrics';
import { zuzEventSignal } from '../transaction/workflow/messages';
import { allowOnly, ApiError, validationError } from '../api/errors';

export interface WebhookOptions {
  client: Client;
  records: TransactionRecords;
  privateKey: string;
  /** Events created longer ago than this are refused (replay protection, with dedup on the event id). */
  maxAgeMs: number;
  log: Logger;
  /** Counts each webhook's outcome. */
  count: (outcome: WebhookOutcome) => void;
}

export function zuzWebhookRouter({ client, records, privateKey, maxAgeMs, log, count }: WebhookOptions): Router {
  const router = Router();
  router.post('/', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    res.on('finish', () => count(outcomeOf(res.statusCode, res.locals.outcome)));
    const verdict = verifyZuzWebhook(
      {
        eventTypeHeader: req.header('event-type'),
        signatureHeader: req.header('signature'),
        rawBody: Buffer.isBuffer(req.body) ? req.body : undefined,
      },
      { privateKey, maxAgeMs },
    );
    if (!verdict.ok && verdict.reason !== 'not_an_operation') throw refusal(verdict);
    // A genuine event the flow has no use for (another resource, or no transaction named) is acknowledged, so Zuz stops sending it.
    if (!verdict.ok) return acknowledge(res, 'ignored');
    const { event } = verdict;
    try {
      if (event.kind === 'refund') return await deliverRefundEvent(res, event, verdict.transactionId);
      // Voids carry no reconciliation id: the record knows the payment's transaction once it is finalized.
      const transactionId = verdict.transactionId ?? (await records.transactionOfPayment(event.paymentId));
      if (!transactionId) return acknowledge(res, 'ignored');
      if (await records.wasDelivered(event.eventId)) return acknowledge(res, 'duplicate');
      const delivered = await signalIfRunning(client, workflowIdFor(transactionId), event);
      if (delivered) {
        await records.markDelivered(event.eventId, transactionId);
        log.info({ eventId: event.eventId, transactionId, kind: event.kind, status: event.status }, 'Zuz event delivered');
        return acknowledge(res, 'delivered');
      }
      // The workflow has finished: keep the event, so that money moved after the decision is found and put right.
      const stored = await records.storeLateEvent(transactionId, event);
      if (stored === 'stored')
        log.warn(
          { eventId: event.eventId, transactionId, kind: event.kind, status: event.status },
          'Zuz event for a finished transaction stored for reconciliation',
        );
      // An unknown transaction: 2xx stops Zuz retrying, and says nothing of whether it exists.
      return acknowledge(res, stored === 'unknown-transaction' ? 'ignored' : 'stored');
    } catch (err) {
      log.warn({ eventId: event.eventId, err: String(err) }, 'Zuz event not delivered; Zuz will retry');
      throw new ApiError(503, 'unavailable', 'The event could not be handed over; retry later');
    }
  });
  router.all('/', allowOnly('POST'));
  return router;

  /**
   * A refund's events go to the refund's own workflow, named by the reconciliation id the refund
   * was asked with. None running (it has ended pending at its deadline, or the refund is the
   * reconciliation's own): the event is kept for the reconciliation, which settles the refund
   * from Zuz — a refund's late answer is money owed or given, as a capture's is.
   */
  async function deliverRefundEvent(res: Response, event: ZuzEvent, reconciliationId: string | undefined): Promise<void> {
    if (!reconciliationId) return acknowledge(res, 'ignored');
    if (await records.wasDelivered(event.eventId)) return acknowledge(res, 'duplicate');
    const delivered = await signalIfRunning(client, refundWorkflowIdFor(reconciliationId), event);
    if (!delivered) {
      const stored = await records.storeLateEvent(transactionKeyOfRefund(reconciliationId), event);
      return acknowledge(res, stored === 'unknown-transaction' ? 'ignored' : 'stored');
    }
    await records.markDelivered(event.eventId, reconciliationId);
    log.info({ eventId: event.eventId, refund: reconciliationId, status: event.status }, 'Zuz refund event delivered');
    return acknowledge(res, 'delivered');
  }
}

/** Hands the event to the workflow; false when no such workflow runs (finished, forgotten, or never started). */
async function signalIfRunning(client: Client, workflowId: string, event: ZuzEvent): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).signal(zuzEventSignal, event);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** A webhook that cannot be trusted or read, as the API's error answer. */
function refusal(verdict: Exclude<ZuzWebhookVerdict, { ok: true } | { reason: 'not_an_operation' }>): ApiError {
  switch (verdict.reason) {
    // Only a signed event gets field-level detail: its sender has proved it is Zuz.
    case 'malformed':
      return validationError(verdict.error, verdict.part);
    case 'no_body':
      return new ApiError(400, 'invalid_json', 'The body must be a JSON event');
    case 'not_json':
      return new ApiError(400, 'invalid_json', 'The body is not valid JSON');
    case 'invalid_signature':
      return new ApiError(401, 'invalid_signature', 'The signature does not match the event');
    // Unverifiable is not believed: the same 401 as a wrong signature.
    case 'ambiguous':
      return new ApiError(
        401,
        'invalid_signature',
        "A signed field contains a comma, the signature's separator: the event cannot be verified",
      );
    case 'stale':
      return new ApiError(400, 'stale_event', 'The event is too old or has no valid creation time');
  }
}

function acknowledge(res: Response, outcome: 'delivered' | 'duplicate' | 'stored' | 'ignored'): void {
  res.locals.outcome = outcome;
  res.status(200).json({ outcome });
}

function outcomeOf(status: number, outcome: unknown): WebhookOutcome {
  if (status >= 500) return 'unavailable';
  if (status >= 400) return 'rejected';
  return outcome === 'ignored' || outcome === 'stored' || outcome === 'duplicate' ? outcome : 'delivered';
}
