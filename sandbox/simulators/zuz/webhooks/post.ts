/**
 * One delivery attempt: POST the event, wait for the status line, give up after a timeout.
 * node:http with no agent, so no pooled keep-alive socket outlives the attempt, and every
 * attempt in flight can be aborted when the simulator closes.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type AttemptResult = { statusCode: number } | { error: string };

export class WebhookPoster {
  private readonly inFlight = new Set<ClientRequest>();

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return resolve({ error: `invalid webhook URL: ${url}` });
      }
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const payload = Buffer.from(body);
      const request = send(target, {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      this.inFlight.add(request);
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(request);
        resolve(result);
      };
      const timer = setTimeout(() => {
        finish({ error: `timeout after ${Math.round(timeoutMs)} ms` });
        request.destroy();
      }, timeoutMs);
      request.on('response', (response) => {
        response.resume(); // the receiver's body is not needed, only its status
        finish({ statusCode: response.statusCode ?? 0 });
      });
      request.on('error', (error) => finish({ error: error.message }));
      request.on('close', () => finish({ error: 'connection closed without an answer' }));
      request.end(payload);
    });
  }

  abortAll(): void {
    for (const request of this.inFlight) request.destroy(new Error('simulator closed'));
  }
}
