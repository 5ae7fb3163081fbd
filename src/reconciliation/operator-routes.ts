/**
 * Operators act on what the reconciliation found, across merchants: list the findings still open
 * (a release that failed, a refund or capture still pending, an outcome lost, a mismatch), re-drive
 * one (the transaction is reconciled again now, by a workflow: the same repairs under the same
 * idempotency keys, so a re-drive never repeats a refund or a void that went through), or resolve
 * one by hand with a reason (the runs then neither repair nor report it again). Every action is in
 * the audit trail (src/merchants/audit-routes.ts).
 */
import { Router } from 'express';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { ReconciliationStore } from './store';
import { transactionKey } from '../merchants/model';
import { allowRoles, callerOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { openFindingsQuery, redriveFindingSchema, resolveFindingSchema } from '../api/schemas';

export function operatorRouter(store: ReconciliationStore, client: Client, taskQueue: string): Router {
  const router = Router();
  router.use(allowRoles('operator'));

  router.get('/findings', async (req, res) => {
    const query = openFindingsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    res.json({ findings: await store.openFindings(query.data.limit) });
  });

  router.post('/findings/resolve', async (req, res) => {
    const body = resolveFindingSchema.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const { merchantId, transactionId, kind, subject = '', reason } = body.data;
    const key = transactionKey(merchantId, transactionId);
    res.locals.auditSubject = `${key} ${kind}${subject ? `/${subject}` : ''}`;
    if (!(await store.resolve(key, kind, subject, callerOf(res).keyPrefix, reason)))
      throw new ApiError(404, 'not_found', `The reconciliation has no ${kind} finding on ${merchantId}'s transaction ${transactionId}`);
    res.json({ merchantId, transactionId, kind, ...(subject && { subject }), resolved: true });
  });

  router.post('/findings/redrive', async (req, res) => {
    const body = redriveFindingSchema.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const key = transactionKey(body.data.merchantId, body.data.transactionId);
    res.locals.auditSubject = key;
    if (!(await store.factsOf(key)))
      throw new ApiError(404, 'not_found', `No transaction ${body.data.transactionId} of ${body.data.merchantId}`);
    // Picked by the run whatever its age, and a run started now (one at a time per transaction: a second asks nothing new).
    await store.reconcileAgain(key, true);
    const workflowId = `reconciliation-redrive-${key}`;
    try {
      await client.workflow.start('reconcileTransactions', { taskQueue, workflowId, args: [{ periodHours: 1 }] });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Said, not swallowed: the operator must know this request started nothing (the transaction stays marked for it).
      throw new ApiError(
        409,
        'redrive_running',
        `A re-drive of ${body.data.merchantId}'s transaction ${body.data.transactionId} is still running (${workflowId}); ask again once it has finished`,
      );
    }
    res.status(202).json({ merchantId: body.data.merchantId, transactionId: body.data.transactionId, workflowId });
  });

  router.all('/findings', allowOnly('GET', 'HEAD'));
  router.all(['/findings/resolve', '/findings/redrive'], allowOnly('POST'));
  return router;
}
