/** Starts an HTTP server for a simulator and stops it without waiting for idle keep-alive sockets. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export function listen(handler: RequestListener, port: number, host: string): Promise<RunningServer> {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve({
        url: `http://${formatHost(address.address)}:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // close() alone waits for clients' keep-alive sockets; a simulator must stop now.
            server.closeAllConnections();
          }),
      });
    });
  });
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
