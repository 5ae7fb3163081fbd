/**
 * Merchants and their keys, managed at run time by operators: create a merchant, issue it a till
 * or back-office key (shown once), list its keys, revoke one (every API process refuses it from
 * the next request on). And the audit trail: a merchant's back office reads its own entries, an
 * operator everyone's.
 */
import { Router } from 'express';
import type { MerchantStore } from './store';
import type { AuditLog } from './audit-log';
import { allowRoles, callerOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { auditEventsQuery, createMerchantSchema, issueKeySchema, keyIdParam, merchantIdParam } from '../api/schemas';

export function merchantsRouter(store: MerchantStore, options: { liveKeys: boolean }): Router {
  const router = Router();
  router.use(allowRoles('operator'));

  router.post('/', async (req, res) => {
    const body = createMerchantSchema.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const { created, merchant } = await store.createMerchant(body.data);
    if (!created) throw new ApiError(409, 'merchant_exists', `Merchant ${merchant.merchantId} exists already`);
    res.locals.auditSubject = merchant.merchantId;
    res.status(201).json(merchant);
  });
  router.get('/', async (_req, res) => {
    res.json({ merchants: await store.merchants() });
  });

  router.post('/:merchantId/keys', async (req, res) => {
    const merchantId = await knownMerchant(store, req.params.merchantId);
    const body = issueKeySchema.safeParse(req.body);
    if (!body.success) throw validationError(body.error);
    const issued = await store.issueKey({ merchantId, role: body.data.role, createdBy: callerOf(res).keyPrefix, live: options.liveKeys });
    res.locals.auditSubject = issued.keyId;
    res.status(201).json({ ...issued, note: 'The key is shown this once: store it now' });
  });
  router.get('/:merchantId/keys', async (req, res) => {
    res.json({ keys: await store.keys(await knownMerchant(store, req.params.merchantId)) });
  });
  router.delete('/:merchantId/keys/:keyId', async (req, res) => {
    const merchantId = await knownMerchant(store, req.params.merchantId);
    const keyId = keyIdParam.safeParse(req.params.keyId);
    if (!keyId.success) throw validationError(keyId.error, 'keyId');
    const revokedAt = await store.revokeKey(merchantId, keyId.data);
    if (!revokedAt) throw new ApiError(404, 'not_found', `Merchant ${merchantId} has no key ${keyId.data}`);
    res.locals.auditSubject = keyId.data;
    res.json({ keyId: keyId.data, revokedAt });
  });

  router.all('/', allowOnly('GET', 'HEAD', 'POST'));
  router.all('/:merchantId/keys', allowOnly('GET', 'HEAD', 'POST'));
  router.all('/:merchantId/keys/:keyId', allowOnly('DELETE'));
  return router;
}

export function auditRouter(audit: AuditLog): Router {
  const router = Router();
  router.get('/', allowRoles('back-office', 'operator'), async (req, res) => {
    const query = auditEventsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const caller = callerOf(res);
    const { merchant, from, to, cursor, limit } = query.data;
    // A merchant's back office reads its own trail; naming another merchant finds nothing, as an unknown one would.
    if (caller.role !== 'operator' && merchant !== undefined && merchant !== caller.merchantId) return void res.json({ events: [] });
    const merchantId = caller.role === 'operator' ? merchant : caller.merchantId;
    const events = await audit.list({
      merchantId,
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
      before: cursor,
      limit,
    });
    res.json({ events, ...(events.length === limit && { nextCursor: events[events.length - 1].id }) });
  });
  router.all('/', allowOnly('GET', 'HEAD'));
  return router;
}

async function knownMerchant(store: MerchantStore, value: string): Promise<string> {
  const merchantId = merchantIdParam.safeParse(value);
  if (!merchantId.success) throw validationError(merchantId.error, 'merchantId');
  if (!(await store.merchant(merchantId.data))) throw new ApiError(404, 'not_found', `No merchant ${merchantId.data}`);
  return merchantId.data;
}
