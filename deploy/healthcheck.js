/**
 * The image's HEALTHCHECK (`node healthcheck.js`): exit 0 when the container's process answers
 * GET /readyz with 200 (its dependencies answer: Temporal, and for the worker PostgreSQL too),
 * 1 otherwise. Plain Node (its fetch): the slim image has no curl or wget.
 *
 * One image runs two roles, so it asks the one this container runs: the API (`node
 * dist/api/server.js`) on API_PORT, the worker (`node dist/worker.js`) on WORKER_HEALTH_PORT. The
 * role is an argument (`node healthcheck.js api`) or, by default, read from the command line of
 * the container's first process (PID 1, or HEALTHCHECK_PID), which is the role itself or, with
 * `docker run --init`, the init that runs it.
 */
'use strict';
/* global fetch, AbortSignal, console -- Node's: this file runs as is, outside the TypeScript build */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS, run by plain `node`
const { readFileSync } = require('node:fs');

const TIMEOUT_MS = 4000;

function role() {
  const asked = process.argv[2];
  if (asked === 'api' || asked === 'worker') return asked;
  if (asked !== undefined) throw new Error(`unknown role "${asked}" (api or worker)`);
  const pid = process.env.HEALTHCHECK_PID || '1';
  const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  if (/\bdist\/api\/server\.js\b/.test(command)) return 'api';
  if (/\bdist\/worker\.js\b/.test(command)) return 'worker';
  throw new Error(`process ${pid} (${command.trim()}) is neither the API nor the worker: say which, node healthcheck.js api|worker`);
}

/** A listener bound to every interface is asked on loopback; one bound to an address, there. */
function local(host) {
  const address = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return address.includes(':') ? `[${address}]` : address;
}

function readinessUrl(which, env) {
  return which === 'api'
    ? `http://${local(env.API_HOST)}:${env.API_PORT || 3000}/readyz`
    : `http://${local(env.WORKER_HEALTH_HOST)}:${env.WORKER_HEALTH_PORT || 8081}/readyz`;
}

async function main() {
  const url = readinessUrl(role(), process.env);
  const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = await response.text();
  console.log(`${url}: ${response.status} ${body}`);
  return response.status === 200 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`healthcheck: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
