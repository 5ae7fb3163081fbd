/** The provider's own delays, in provider milliseconds (before timeScale). */

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;

/** "Pending, then resolved within ~10 s". */
export const SHORT_PENDING_MS = 5 * SECOND;
/** "Pending, then Succeed after 24 h". */
export const LONG_PENDING_MS = 24 * HOUR;
/** How long an idempotency key replays its first answer. */
export const IDEMPOTENCY_WINDOW_MS = 24 * HOUR;
/** How long a webhook keeps being retried after its first attempt. */
export const WEBHOOK_RETRY_WINDOW_MS = 24 * HOUR;
/** The first retry's backoff; each further retry doubles it. */
export const WEBHOOK_FIRST_BACKOFF_MS = 1 * SECOND;
/** How long one delivery attempt may take. */
export const WEBHOOK_TIMEOUT_MS = 5 * SECOND;
/** A scaled timeout below this would make every attempt time out on a loaded machine. */
export const WEBHOOK_MIN_TIMEOUT_REAL_MS = 200;
