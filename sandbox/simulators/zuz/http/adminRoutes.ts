/** Test and operator controls: faults, the ledger, the webhook delivery log. */
import { Router } from 'express';
import { describeIssues } from '../../shared/zodIssues';
import { badRequest } from '../errors';
import { setFaultsBody } from '../faults';
import type { WebhookDeliverer } from '../webhooks/deliverer';
import type { ZuzState } from '../state';

export function adminRouter(state: ZuzState, deliverer: WebhookDeliverer): Router {
  const router = Router();

  router.post('/faults', (req, res) => {
    const parsed = setFaultsBody.safeParse(req.body);
    if (!parsed.success) throw badRequest('Invalid faults', describeIssues(parsed.error.issues));
    state.faults.set(parsed.data.faults, parsed.data.paymentId);
    res.status(200).json(parsed.data);
  });

  router.get('/ledger', (req, res) => {
    res.status(200).json(
      state.ledger.entries({
        paymentId: stringParam(req.query.payment_id),
        reconciliationId: stringParam(req.query.reconciliation_id),
      }),
    );
  });

  router.get('/deliveries', (_req, res) => {
    res.status(200).json(deliverer.deliveries());
  });

  return router;
}

/** A blank or repeated query parameter means "no filter". */
function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
