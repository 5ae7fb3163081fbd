/**
 * The retirement rule of docs/versioning.md (tools/patches.ts): a patch may be deprecated once no
 * execution that could take its old side can still be open or retained. Known from visibility (the
 * oldest open execution's start time, read at some moment) and the namespace's retention.
 */
import { main, PATCHES, retirablePatches, retirement, type PatchRecord } from '../tools/patches';

const HOUR = 3600_000;
const patch: PatchRecord = { id: 'p', version: 'v9', introduced: '2026-12-01T00:00:00Z', workflowType: 'processTransaction' };
const at = (iso: string) => new Date(iso);

test('an execution older than the patch still open: not retirable, however long ago the reading', () => {
  const r = retirement(
    patch,
    { oldestOpenStart: at('2026-11-30T23:59:59Z'), asOf: at('2026-12-02T00:00:00Z'), retentionMs: 72 * HOUR },
    at('2027-01-01T00:00:00Z'),
  );
  expect(r.retirable).toBe(false);
  expect(r.reason).toMatch(/before the patch/);
});

test('none older open at the reading: retirable one retention after the reading, not before', () => {
  const reading = { oldestOpenStart: at('2026-12-01T00:00:00Z'), asOf: at('2026-12-03T00:00:00Z'), retentionMs: 72 * HOUR };
  expect(retirement(patch, reading, at('2026-12-05T23:59:59Z'))).toMatchObject({
    retirable: false,
    retirableFrom: at('2026-12-06T00:00:00Z'),
  });
  expect(retirement(patch, reading, at('2026-12-06T00:00:00Z'))).toMatchObject({ retirable: true });
  // No execution open at all counts the same.
  expect(retirement(patch, { ...reading, oldestOpenStart: undefined }, at('2026-12-06T00:00:00Z')).retirable).toBe(true);
});

test('a reading taken now retires nothing yet: a closed execution from before the patch may still be retained', () => {
  const now = at('2026-12-07T11:00:00Z');
  const results = retirablePatches({ oldestOpenStart: undefined, asOf: now, retentionMs: 72 * HOUR }, now);
  expect(results.map((r) => r.id)).toEqual(PATCHES.map((p) => p.id));
  expect(results.filter((r) => r.retirable)).toEqual([]);
});

test('one reading sorts the patches: those introduced before the oldest open execution started retire, the later ones do not', () => {
  const results = retirablePatches(
    { oldestOpenStart: at('2026-11-28T00:00:00Z'), asOf: at('2026-12-03T00:00:00Z'), retentionMs: 72 * HOUR },
    at('2026-12-07T00:00:00Z'),
  );
  expect(results.filter((r) => r.retirable).map((r) => r.id)).toEqual([
    'risk-screening',
    'void-when-capture-never-arrived',
    'release-unanswered-authorizations',
  ]);
});

test('a reading from the future is refused', () => {
  expect(() =>
    retirement(patch, { oldestOpenStart: undefined, asOf: at('2026-12-08T00:00:00Z'), retentionMs: HOUR }, at('2026-12-07T00:00:00Z')),
  ).toThrow(/later than now/);
});

test('the command line prints every patch and its verdict', () => {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    expect(
      main([
        '--oldest-open',
        '2026-11-28T00:00:00Z',
        '--as-of',
        '2026-12-03T00:00:00Z',
        '--retention',
        '72h',
        '--now',
        '2026-12-07T00:00:00Z',
      ]),
    ).toBe(0);
  } finally {
    log.mockRestore();
  }
  expect(lines).toHaveLength(PATCHES.length);
  expect(lines[0]).toMatch(/^retirable +risk-screening/);
  // The newest patch (introduced after the execution still open at --as-of began) is never retirable yet.
  expect(lines.at(-1)).toMatch(/^not retirable +zuz-requests-as-local-activities/);
  expect(lines.some((line) => /^not retirable +database-steps-as-local-activities/.test(line))).toBe(true);
});
