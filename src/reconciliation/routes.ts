/**
 * GET /v1/reconciliation/runs: the reconciliation's report — each run of the daily schedule and
 * every discrepancy with what was done about it. A merchant's key reads its own transactions'
 * findings only (by its own transaction ids); an operator's key reads every merchant's.
 */
import { Router } from 'express';
import type { ReconciliationStore } from './store';
import { callerOf } from '../api/auth';
import { allowOnly, validationError } from '../api/errors';
import { reconciliationRunsQuery } from '../api/schemas';

export function reconciliationRouter(store: ReconciliationStore): Router {
  const router = Router();
  router.get('/runs', async (req, res) => {
    const query = reconciliationRunsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const caller = callerOf(res);
    res.json({
      runs: await store.latestRuns(query.data.limit, caller.role !== 'operator' ? { merchantId: caller.merchantId } : 'every-merchant'),
    });
  });
  router.all('/runs', allowOnly('GET', 'HEAD'));
  return router;
}
