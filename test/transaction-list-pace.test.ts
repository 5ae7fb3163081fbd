/**
 * Issue 38, finding 2, what remained: one merchant's lists may start at most LIST_PACE.perSecond a
 * second after a burst of LIST_PACE.burst, per API process; a list beyond it waits its turn, and
 * another merchant's list is not held back. Why a pace and not only the bound on lists in flight:
 * tools/bench/list-isolation.ts measured that the worst list costs the database a fraction of a
 * millisecond, and that what the quiet merchant's GET waited on was the API process's time, taken
 * by the busy merchant's rate of lists (docs/security.md). Timed by a fake clock, not the machine's.
 */
import type { Client } from '@temporalio/client';
import { LIST_PACE, ListPace, listTransactions } from '../src/transaction/list';
import type { TransactionRecords } from '../src/transaction/record';

const INTERVAL = 1000 / LIST_PACE.perSecond;

test('the pace: a burst at once, then one list per interval; merchants apart; a quiet merchant is owed its burst again', () => {
  const pace = new ListPace({ perSecond: 10, burst: 3 });
  expect([0, 0, 0, 0, 0].map(() => pace.book('busy', 1_000))).toEqual([0, 0, 0, 100, 200]);
  expect(pace.book('quiet', 1_000)).toBe(0);
  // 50 ms later the busy merchant's next turn is still booked behind the two waiting.
  expect(pace.book('busy', 1_050)).toBe(250);
  // After a quiet second the burst is available again.
  expect([0, 0, 0].map(() => pace.book('busy', 3_000))).toEqual([0, 0, 0]);
});

describe('listTransactions keeps the pace', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  test("a merchant's lists beyond the burst wait their turn; another merchant's list starts at once", async () => {
    const started: Array<{ merchantId: string; at: number }> = [];
    const records = {
      listPage: async (filter: { merchantId: string }) => {
        started.push({ merchantId: filter.merchantId, at: Date.now() });
        return [];
      },
    } as unknown as TransactionRecords;
    const client = {} as Client;
    const key = Buffer.alloc(32, 7);
    const list = (merchantId: string) => listTransactions(client, records, { merchantId, limit: 20 }, key);

    const busy = Array.from({ length: LIST_PACE.burst + 2 }, () => list('busy'));
    const quiet = list('quiet');
    await jest.advanceTimersByTimeAsync(0);
    await quiet;
    expect(started.filter((s) => s.merchantId === 'quiet')).toEqual([{ merchantId: 'quiet', at: 0 }]);
    await jest.advanceTimersByTimeAsync(2 * INTERVAL);
    await Promise.all(busy);
    const busyStarts = started.filter((s) => s.merchantId === 'busy').map((s) => s.at);
    expect(busyStarts).toEqual([...Array.from({ length: LIST_PACE.burst }, () => 0), INTERVAL, 2 * INTERVAL]);
  });
});
