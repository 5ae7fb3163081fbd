/**
 * A tiny HTTP client for the simulator tests: no connection pooling (agent: false), so nothing
 * stays open after a test, and a destroyed socket shows up as a rejected promise.
 */
import { request } from 'node:http';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string | undefined>;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
}

export function httpRequest(url: string, { method = 'GET', headers = {}, body }: HttpRequest = {}): Promise<HttpResponse> {
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const sentHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) sentHeaders[name] = value;
  if (payload) {
    sentHeaders['content-type'] ??= 'application/json';
    sentHeaders['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: sentHeaders, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
