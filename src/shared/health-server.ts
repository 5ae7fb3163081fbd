/** /healthz (the process is alive) and /readyz (its dependencies answer) for a process that has no HTTP API of its own: the worker. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type ReadinessChecks = () => Promise<Record<string, boolean>>;

export async function startHealthServer(
  host: string,
  port: number,
  checks: ReadinessChecks,
): Promise<{ url: string; close(): Promise<void> }> {
  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/healthz') return answer(200, { status: 'ok' });
    if (req.method === 'GET' && req.url === '/readyz') {
      const results = await checks().catch(() => ({ checks: false }));
      const ready = Object.values(results).every(Boolean);
      return answer(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: results });
    }
    answer(404, { error: { code: 'not_found', message: 'No such route' } });
  };
  const server: Server = createServer((req, res) => void respond(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${host}:${actualPort}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
