/**
 * One delivery attempt: POST the event, wait for the status line, give up after a timeout.
 * node:http with no agent, so no pooled keep-alive socket outlives the attempt, and every
 * attempt in flight can be aborted when the simulator closes.
 */
import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** `answer`: the start of the receiver's body, kept so tests can see what the receiver made of the event. */
export type AttemptResult = { statusCode: number; answer?: string } | { error: string };

const ANSWER_KEPT_BYTES = 512;

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
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < ANSWER_KEPT_BYTES) chunks.push(chunk);
          kept += chunk.length;
        });
        response.on('end', () =>
          finish({ statusCode: response.statusCode ?? 0, answer: Buffer.concat(chunks).subarray(0, ANSWER_KEPT_BYTES).toString('utf8') }),
        );
        response.on('error', () => finish({ statusCode: response.statusCode ?? 0 }));
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
