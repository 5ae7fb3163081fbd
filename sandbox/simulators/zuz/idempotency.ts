/**
 * Idempotency keys, scoped per app and per endpoint path. Within the window the first answer
 * (status and body, as first sent) is replayed and nothing is performed again, even when the
 * body changed. A retry that arrives while the first request is still running waits for it,
 * so two racing requests cannot both perform.
 */
import { IDEMPOTENCY_WINDOW_MS } from './timing';

export interface Reply {
  status: number;
  body: unknown;
}

interface Entry {
  startedAt: number;
  reply: Promise<Reply>;
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  /** @param windowRealMs the replay window in real milliseconds (already scaled). */
  constructor(private readonly windowRealMs: number) {}

  static scaled(timeScale: number): IdempotencyStore {
    return new IdempotencyStore(IDEMPOTENCY_WINDOW_MS * timeScale);
  }

  /**
   * Runs `perform` unless this key was seen within the window, in which case the first reply
   * is returned with `replayed: true`. A `perform` that throws forgets the key (nothing was
   * promised to the client, so a retry may perform).
   */
  async run(scope: string, key: string, perform: () => Promise<Reply>): Promise<{ reply: Reply; replayed: boolean }> {
    const id = JSON.stringify([scope, key]);
    const now = Date.now();
    this.forgetExpired(now);
    const existing = this.entries.get(id);
    if (existing && now - existing.startedAt <= this.windowRealMs) {
      return { reply: cloneReply(await existing.reply), replayed: true };
    }
    const reply = perform().then(cloneReply);
    this.entries.set(id, { startedAt: now, reply });
    reply.catch(() => {
      if (this.entries.get(id)?.reply === reply) this.entries.delete(id);
    });
    return { reply: cloneReply(await reply), replayed: false };
  }

  private forgetExpired(now: number): void {
    for (const [id, entry] of this.entries) {
      if (now - entry.startedAt > this.windowRealMs) this.entries.delete(id);
    }
  }
}

function cloneReply(reply: Reply): Reply {
  return { status: reply.status, body: structuredClone(reply.body) };
}
