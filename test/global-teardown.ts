/** Stops what test/global-setup.ts started (the tests' PostgreSQL, when it started one). */
import { stopPostgres } from './global-state';

export default function globalTeardown(): void {
  stopPostgres();
}
