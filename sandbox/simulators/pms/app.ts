/** The PMS simulator's HTTP surface: one (merchant-scoped) lookup route, two admin routes, all behind the API key. */
import express, { type NextFunction, type Request, type Response } from 'express';
import { sendPmsError } from './errors';
import { pmsFaultsSchema, type PmsFaultBook } from './faults';
import { addPaymentMethodWire, fromWire, toWire, type PaymentMethodStore } from './paymentMethods';
import type { Sleeper } from '../shared/sleeper';
import { describeIssues } from '../shared/zodIssues';

export interface PmsAppDeps {
  apiKey: string;
  store: PaymentMethodStore;
  faults: PmsFaultBook;
  sleeper: Sleeper;
}

export function createPmsApp({ apiKey, store, faults, sleeper }: PmsAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requireBearer(apiKey));
  app.use(express.json());

  // Customers are each merchant's own: the lookup names the merchant (src/pms).
  app.get('/v1/merchants/:merchantId/customers/:customerId/payment-methods/:paymentMethodId', async (req, res) => {
    await sleeper.sleep(faults.latencyMs());
    if (faults.takeFailure()) return sendPmsError(res, 503, 'unavailable', 'Payment-methods service unavailable (simulated fault)');
    const method = store.findForCustomer(req.params.merchantId, req.params.customerId, req.params.paymentMethodId);
    if (!method) return sendPmsError(res, 404, 'not_found', 'No such payment method for this customer');
    res.status(200).json(toWire(method));
  });

  // The body is a method in the wire shape plus `merchant_id` (default `default`).
  app.post('/_admin/payment-methods', (req, res) => {
    const parsed = addPaymentMethodWire.safeParse(req.body);
    if (!parsed.success) return sendPmsError(res, 400, 'bad_request', describeIssues(parsed.error.issues));
    const { merchant_id: merchantId, ...wire } = parsed.data;
    store.add(merchantId, fromWire(wire));
    res.status(201).json({ merchant_id: merchantId, ...toWire(fromWire(wire)) });
  });

  app.post('/_admin/faults', (req, res) => {
    const parsed = pmsFaultsSchema.safeParse(req.body);
    if (!parsed.success) return sendPmsError(res, 400, 'bad_request', describeIssues(parsed.error.issues));
    faults.set(parsed.data);
    res.status(200).json(parsed.data);
  });

  app.use((_req: Request, res: Response) => sendPmsError(res, 404, 'not_found', 'No such route'));
  app.use(handleErrors);
  return app;
}

/** Every route, admin included, needs `authorization: Bearer <apiKey>`. */
function requireBearer(apiKey: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.header('authorization') !== `Bearer ${apiKey}`) {
      return sendPmsError(res, 401, 'unauthorized', 'Missing or invalid API key');
    }
    next();
  };
}

// Express recognises an error handler by its four parameters.
function handleErrors(error: unknown, _req: Request, res: Response, _next: NextFunction): void {
  const status = (error as { status?: number }).status;
  if (status === 400) return sendPmsError(res, 400, 'bad_request', 'Malformed JSON body');
  console.error('pms simulator:', error);
  sendPmsError(res, 500, 'internal', 'Unexpected simulator error');
}
