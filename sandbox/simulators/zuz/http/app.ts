/** The Zuz simulator's Express app: request ids, header checks, the API, admin routes, errors. */
import express from 'express';
import type { Sleeper } from '../../shared/sleeper';
import type { ZuzState } from '../state';
import type { WebhookDeliverer } from '../webhooks/deliverer';
import { adminRouter } from './adminRoutes';
import { requireApiHeaders, requireAppCredentials } from './auth';
import { registerPaymentRoutes } from './paymentRoutes';
import { assignRequestId, handleErrors, unknownRoute } from './respond';

export function createZuzApp(state: ZuzState, deliverer: WebhookDeliverer, sleeper: Sleeper): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(assignRequestId);
  // Credentials are checked before the body is read: a stranger's request gets a 401, not a parse error.
  app.use('/_admin', requireAppCredentials(state.config), express.json(), adminRouter(state, deliverer));
  app.use('/payments', requireApiHeaders(state.config), express.json());
  registerPaymentRoutes(app, { state, sleeper });
  app.use(unknownRoute);
  app.use(handleErrors);
  return app;
}
