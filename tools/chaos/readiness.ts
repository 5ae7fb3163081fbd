/** Waiting for a freshly started process to say it is ready. */
import { sleep } from './sleep';

export async function waitUntilReady(url: string, timeoutMs: number, isAlive: () => boolean = () => true): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < giveUpAt) {
    if (!isAlive()) throw new Error(`${url}: the process exited before it was ready`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms (last: ${last})`);
}
