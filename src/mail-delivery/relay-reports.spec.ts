import { relayQueueSignal, RelayReportCounts, relayVerdict, SILENT_MIN_SAMPLE } from './relay-reports';

const counts = (over: Partial<RelayReportCounts> = {}): RelayReportCounts => ({
  accepted: 0,
  withoutDsn: 0,
  dueForReport: 0,
  unreported: 0,
  dueForReportWeek: 0,
  reportsLastWeek: 0,
  ...over,
});
const dsn = { at: 0, dsn: true };
const noDsn = { at: 0, dsn: false };

describe('relayVerdict: does our relay report?', () => {
  it.each<[string, RelayReportCounts, typeof dsn | null, string, boolean]>([
    ['nothing sent yet, DSN announced: unknown', counts(), dsn, 'unknown', false],
    [
      'reports came this week: reporting',
      counts({ accepted: 40, dueForReport: 30, unreported: 2, reportsLastWeek: 28 }),
      dsn,
      'reporting',
      false,
    ],
    [
      "reports came before, none for today's mail (stuck, not silent): still reporting, mail stays in transit",
      counts({ accepted: 40, dueForReport: 40, unreported: 40, reportsLastWeek: 12 }),
      dsn,
      'reporting',
      false,
    ],
    [
      `${SILENT_MIN_SAMPLE} acceptances old enough, not one report in a week: silent, the transit rule for all`,
      counts({
        accepted: 12,
        dueForReport: SILENT_MIN_SAMPLE,
        unreported: SILENT_MIN_SAMPLE,
        dueForReportWeek: SILENT_MIN_SAMPLE,
      }),
      dsn,
      'silent',
      true,
    ],
    [
      'one acceptance short of the sample: not silent yet',
      counts({
        accepted: 12,
        dueForReport: SILENT_MIN_SAMPLE - 1,
        unreported: SILENT_MIN_SAMPLE - 1,
        dueForReportWeek: SILENT_MIN_SAMPLE - 1,
      }),
      dsn,
      'unknown',
      false,
    ],
    [
      'a quiet day after a silent week (3 acceptances today, 40 this week, no report): still silent',
      counts({ accepted: 3, dueForReport: 3, unreported: 3, dueForReportWeek: 40 }),
      dsn,
      'silent',
      true,
    ],
    ['no DSN in the EHLO at start-up', counts(), noDsn, 'no_dsn', false],
    ['every acceptance on connections without DSN (no EHLO read)', counts({ accepted: 5, withoutDsn: 5 }), null, 'no_dsn', false],
  ])('%s', (_name, c, ehlo, reports, forAll) => {
    const verdict = relayVerdict(c, ehlo, 30);
    expect([verdict.reports, verdict.transitRuleForAll]).toEqual([reports, forAll]);
  });

  it('warns in words that name the setting and the numbers', () => {
    expect(relayVerdict(counts(), noDsn, 30).warnings).toEqual([
      expect.stringMatching(/announces no DSN .* 30 minutes after its 250 \(RELAY_TRANSIT_MINUTES\)/),
    ]);
    const silent = relayVerdict(
      counts({ accepted: 20, dueForReport: 15, unreported: 15, dueForReportWeek: 15 }),
      dsn,
      45,
    ).warnings;
    expect(silent).toEqual([
      expect.stringMatching(/None of 15 relay acceptances of the last 7 days .* got a report.*45 minutes/),
    ]);
    const stuck = relayVerdict(counts({ accepted: 30, dueForReport: 20, unreported: 11, reportsLastWeek: 9 }), dsn, 30).warnings;
    expect(stuck).toEqual([expect.stringMatching(/^11 of 20 relay acceptances .* may be stuck in the relay queue/)]);
    const mixed = relayVerdict(counts({ accepted: 30, withoutDsn: 3, reportsLastWeek: 5 }), dsn, 30).warnings;
    expect(mixed).toEqual([expect.stringMatching(/^3 of 30 relay acceptances .* without DSN/)]);
    expect(
      relayVerdict(counts({ accepted: 30, dueForReport: 20, unreported: 10, reportsLastWeek: 9 }), dsn, 30).warnings,
    ).toEqual([]);
    expect(relayVerdict(counts(), { at: 0, dsn: false, error: 'connect ECONNREFUSED' }, 30).warnings).toEqual([
      'The relay could not be asked for its capabilities at start-up: connect ECONNREFUSED.',
    ]);
  });
});

describe('relayQueueSignal: does a family sit in the relay far longer than usual?', () => {
  it.each<[string, Parameters<typeof relayQueueSignal>[0], number | null, boolean, number]>([
    ['nothing in transit', { inTransit: 0, oldestMinutes: null, medianMinutes: 0.2 }, 0.2, false, 15],
    [
      'usual 0.2 min, oldest 3 min: normal (below the 15-minute floor)',
      { inTransit: 4, oldestMinutes: 3, medianMinutes: 0.2 },
      0.3,
      false,
      15,
    ],
    ['usual 0.2 min, oldest 16 min: slow', { inTransit: 4, oldestMinutes: 16, medianMinutes: 0.2 }, 0.3, true, 15],
    ['usual 4 min: slow only past 40', { inTransit: 1, oldestMinutes: 39, medianMinutes: 4 }, 0.3, false, 40],
    ['usual 4 min, oldest 41: slow', { inTransit: 1, oldestMinutes: 41, medianMinutes: 4 }, 0.3, true, 40],
    ["no reports for the family: all families' median", { inTransit: 2, oldestMinutes: 19, medianMinutes: null }, 2, false, 20],
    ['no reports at all: the floor', { inTransit: 2, oldestMinutes: 16, medianMinutes: null }, null, true, 15],
  ])('%s', (_name, facts, overall, slow, threshold) => {
    expect(relayQueueSignal(facts, overall)).toMatchObject({ slow, thresholdMinutes: threshold });
  });
});
