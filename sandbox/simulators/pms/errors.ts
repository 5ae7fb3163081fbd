/** The PMS error shape: `{"error": {"code", "message"}}`. */
import type { Response } from 'express';

export type PmsErrorCode = 'unauthorized' | 'not_found' | 'unavailable' | 'bad_request' | 'internal';

export function sendPmsError(res: Response, status: number, code: PmsErrorCode, message: string): void {
  res.status(status).json({ error: { code, message } });
}
