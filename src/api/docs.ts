/**
 * The API's documentation, open to all (it holds no secret): GET /openapi.json, the document,
 * and GET /docs, Swagger UI rendering it. Swagger UI is served from the installed
 * swagger-ui-dist package, so the page needs no CDN and works offline.
 */
import path from 'node:path';
import express, { Router } from 'express';
import { allowOnly } from './errors';
import { openApiDocument } from './openapi';

const ASSETS_PATH = '/docs/assets';
const INIT_SCRIPT_PATH = '/docs/swagger-init.js';

// Resolved, not required: requiring the package would load the whole browser bundle into Node.
const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist'));

// Only what the page uses: the package also ships a demo page that loads a remote example API.
const SERVED_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

// Absolute paths, so the page works at /docs and at /docs/ alike.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>POS payments API</title>
  <link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="${ASSETS_PATH}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script src="${INIT_SCRIPT_PATH}"></script>
</body>
</html>
`;

// A served file rather than an inline script, so a strict Content-Security-Policy stays possible.
// validatorUrl null: Swagger UI would otherwise send the document to an online validator.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
});
`;

export function docsRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get(INIT_SCRIPT_PATH, (_req, res) => {
    res.type('text/javascript').send(INIT_SCRIPT);
  });
  router.all(['/openapi.json', '/docs', INIT_SCRIPT_PATH], allowOnly('GET', 'HEAD'));
  router.use(
    ASSETS_PATH,
    (req, _res, next) => next(SERVED_ASSETS.has(req.path.slice(1)) ? undefined : 'router'),
    express.static(swaggerUiDir, { index: false, redirect: false }),
  );
  return router;
}
