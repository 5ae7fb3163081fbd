/**
 * /v1/events: the caller's merchant's events of the last 30 days, newest first, and a redelivery
 * on request (docs/merchant-events.md). Another merchant's event is as unknown as one never made.
 */
import { Router } from 'express';
import type { Database } from '../shared/database';
import { MerchantEventStore, type EventPosition } from './store';
import { merchantOf } from '../api/auth';
import { allowOnly, ApiError, validationError } from '../api/errors';
import { eventIdParam, listEventsQuery } from './schemas';

export function eventsRouter(db: Database): Router {
  const store = new MerchantEventStore(db);
  const router = Router();

  router.get('/', async (req, res) => {
    const query = listEventsQuery.safeParse(req.query);
    if (!query.success) throw validationError(query.error, 'query');
    const { type, limit, cursor } = query.data;
    const page = await store.listEvents({
      merchantId: merchantOf(res),
      type,
      limit: limit + 1,
      after: cursor ? positionOf(cursor) : undefined,
    });
    const events = page.slice(0, limit);
    const last = page.length > limit ? events[events.length - 1] : undefined;
    res.json({ events: events.map((e) => e.event), ...(last ? { nextCursor: cursorOf(last.position) } : {}) });
  });

  router.post('/:id/redeliver', async (req, res) => {
    const id = eventIdParam.safeParse(req.params.id);
    if (!id.success) throw validationError(id.error, 'id');
    const round = await store.requestRedelivery(merchantOf(res), id.data);
    if (round === undefined) throw new ApiError(404, 'not_found', `No event ${id.data}`);
    res.status(202).json({ eventId: id.data, redelivery: round });
  });

  router.all('/', allowOnly('GET', 'HEAD'));
  router.all('/:id/redeliver', allowOnly('POST'));
  return router;
}

/** A position as a cursor: it only says where the merchant's own list stopped (every read is within the merchant). */
function cursorOf(position: EventPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

function positionOf(cursor: string): EventPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt)) && id.length <= 64) {
      return { createdAt, id };
    }
  } catch {
    // answered below
  }
  throw new ApiError(400, 'invalid_request', 'cursor: is not valid', [{ field: 'cursor', message: 'is not valid' }]);
}
