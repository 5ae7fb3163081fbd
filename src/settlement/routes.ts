/**
 * GET /v1/reports/settlement?date=YYYY-MM-DD: one merchant's day (in its time zone, UTC unless
 * set) of captures, refunds and reconciliation refunds, by currency, each line naming its
 * transaction; JSON, or CSV with `Accept: text/csv`. A back office reads its own merchant's; an
 * operator names the merchant.
 */
import { Router } from 'express';
import type { Database } from '../shared/database';
import type { MerchantStore } from '../merchants/store';
import { settlementCsv, settlementReport } from './report';
import { allowRoles, callerOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { settlementReportQuery } from '../api/schemas';

export function reportsRouter(db: Database, merchants: MerchantStore): Router {
  const router = Router();
  router.get('/settlement', allowRoles('back-office', 'operator'), async (req, res) => {
    const query = settlementReportQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const caller = callerOf(res);
    const merchantId = caller.role === 'operator' ? query.data.merchant : caller.merchantId;
    if (!merchantId) throw new ApiError(400, 'invalid_request', 'merchant: an operator names the merchant whose report it reads');
    // Another merchant's report is as empty as an unknown merchant's: nothing says whether it exists.
    if (caller.role !== 'operator' && query.data.merchant !== undefined && query.data.merchant !== merchantId)
      throw new ApiError(404, 'not_found', `No report for merchant ${query.data.merchant}`);
    const timeZone = (await merchants.merchant(merchantId))?.timeZone ?? 'UTC';
    const report = await settlementReport(db, merchantId, query.data.date, timeZone);
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') {
      res.type('text/csv').attachment(`settlement-${merchantId}-${query.data.date}.csv`).send(settlementCsv(report));
      return;
    }
    res.json(report);
  });
  router.all('/settlement', allowOnly('GET', 'HEAD'));
  return router;
}
