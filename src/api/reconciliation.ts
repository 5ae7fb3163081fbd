/**
 * GET /v1/reconciliation/runs: the reconciliation's report for operators — each run of the daily
 * schedule, what it checked and every discrepancy with what was done about it.
 */
import { Router } from 'express';
import type { ReconciliationStore } from '../infrastructure/reconciliation-store';
import { allowOnly, validationError } from './errors';
import { reconciliationRunsQuery } from './schemas';

export function reconciliationRouter(store: ReconciliationStore): Router {
  const router = Router();
  router.get('/runs', async (req, res) => {
    const query = reconciliationRunsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    res.json({ runs: await store.latestRuns(query.data.limit) });
  });
  router.all('/runs', allowOnly('GET', 'HEAD'));
  return router;
}
