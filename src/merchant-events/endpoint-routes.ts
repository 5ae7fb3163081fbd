/**
 * /v1/webhook-endpoints: a merchant's receivers of signed events (docs/merchant-events.md). Every
 * route acts within the caller's merchant: another merchant's endpoint is as unknown as one never made.
 */
import { Router } from 'express';
import type { Database } from '../shared/database';
import { MerchantEventStore } from './store';
import { isProductionEnv } from './dispatcher';
import { merchantOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { attemptsQuery, createEndpointSchema, endpointIdParam } from './schemas';

/** How long the secret before a rotation still signs, alongside the new one. */
export const ROTATION_GRACE_SECONDS = 24 * 60 * 60;

export interface WebhookEndpointsOptions {
  /** Plain http:// to loopback accepted; default: outside production (as src/shared/config.ts knows it: NODE_ENV=production without POS_SANDBOX=true). */
  sandbox?: boolean;
}

export function webhookEndpointsRouter(db: Database, options: WebhookEndpointsOptions = {}): Router {
  const store = new MerchantEventStore(db);
  const schema = createEndpointSchema(options.sandbox ?? !isProductionEnv(process.env));
  const router = Router();

  const idOf = (value: unknown) => {
    const id = endpointIdParam.safeParse(value);
    if (!id.success) throw validationError(id.error, 'id');
    return id.data;
  };
  const notFound = (id: string) => new ApiError(404, 'not_found', `No webhook endpoint ${id}`);

  router.post('/', async (req, res) => {
    const parsed = schema.safeParse(req.body ?? {});
    if (!parsed.success) throw validationError(parsed.error);
    res.status(201).json(await store.createEndpoint(merchantOf(res), parsed.data.url, parsed.data.events ?? null));
  });

  router.get('/', async (_req, res) => {
    res.json({ endpoints: await store.listEndpoints(merchantOf(res)) });
  });

  router.delete('/:id', async (req, res) => {
    const id = idOf(req.params.id);
    const endpoint = await store.disableEndpoint(merchantOf(res), id, 'disabled by the merchant');
    if (!endpoint) throw notFound(id);
    res.json(endpoint);
  });

  router.post('/:id/rotate-secret', async (req, res) => {
    const id = idOf(req.params.id);
    const rotated = await store.rotateSecret(merchantOf(res), id, ROTATION_GRACE_SECONDS);
    if (!rotated) throw notFound(id);
    if (rotated === 'disabled') throw new ApiError(409, 'invalid_state', `Webhook endpoint ${id} is disabled`);
    res.json(rotated);
  });

  router.get('/:id/attempts', async (req, res) => {
    const id = idOf(req.params.id);
    const query = attemptsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    if (!(await store.findEndpoint(merchantOf(res), id))) throw notFound(id);
    res.json({ attempts: await store.attemptsOf(id, query.data.limit) });
  });

  router.all('/', allowOnly('GET', 'HEAD', 'POST'));
  router.all('/:id', allowOnly('DELETE'));
  router.all('/:id/rotate-secret', allowOnly('POST'));
  router.all('/:id/attempts', allowOnly('GET', 'HEAD'));
  return router;
}
