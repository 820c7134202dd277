import { OUTBOX_STATES, OutboxState } from '../outbox/outbox-states';
import { moveForReport, ReportFacts, ReportMove } from './report-decision';

const move = (state: ReportMove['state'], deliveredByMx = false): ReportMove => ({ state, deliveredByMx });

describe('moveForReport: where a delivery report moves a mail', () => {
  const cases: Array<[string, OutboxState, ReportFacts, ReportMove]> = [
    ['a delivery starts the window', 'accepted', { action: 'delivered', status: '2.0.0' }, move('accepted', true)],
    ['a delivery after a delay too', 'delayed', { action: 'delivered' }, move('accepted', true)],
    ['relayed to a hop without reports: nothing new while accepted', 'accepted', { action: 'relayed' }, move(null)],
    ['relayed after a delay: counts as delivered again', 'delayed', { action: 'relayed' }, move('accepted')],
    ['expanded (a list) after a delay', 'delayed', { action: 'expanded' }, move('accepted')],
    ['a delay report: undelivered', 'accepted', { action: 'delayed', status: '4.4.7' }, move('delayed')],
    ['a second delay report', 'delayed', { action: 'delayed' }, move('delayed')],
    [
      'unknown mailbox, permanent: bounced',
      'accepted',
      { action: 'failed', status: '5.1.1', category: 'mailbox_unknown' },
      move('bounced'),
    ],
    [
      'unknown mailbox with a 4.x.x status: taken back, not bounced',
      'accepted',
      { action: 'failed', status: '4.1.1', category: 'mailbox_unknown' },
      move('deferred'),
    ],
    ['relay gave up on a 4.x.x: taken back', 'delayed', { action: 'failed', status: '4.4.7' }, move('deferred')],
    [
      'a provider block (5.x.x) is not about the mailbox: taken back',
      'accepted',
      { action: 'failed', status: '5.7.1', category: 'provider_block' },
      move('deferred'),
    ],
    ['rate limit: taken back', 'accepted', { action: 'failed', status: '5.7.0', category: 'rate_limit' }, move('deferred')],
    ['greylisting: taken back', 'accepted', { action: 'failed', status: '5.7.1', category: 'greylist' }, move('deferred')],
    [
      'a temporary condition in words: taken back',
      'accepted',
      { action: 'failed', status: '5.0.0', category: 'unknown_temporary', temporary: true },
      move('deferred'),
    ],
    [
      'content rejected for good: failed',
      'accepted',
      { action: 'failed', status: '5.7.1', category: 'content_reject' },
      move('failed'),
    ],
    ['no status, no category: failed', 'accepted', { action: 'failed' }, move('failed')],
  ];
  it.each(cases)('%s', (_name, current, facts, expected) => {
    expect(moveForReport(current, facts)).toEqual(expected);
  });

  const notHandedOver = OUTBOX_STATES.filter((s) => s !== 'accepted' && s !== 'delayed');
  it.each(notHandedOver)('a report about a mail that is %s changes nothing', (state) => {
    for (const action of ['delivered', 'relayed', 'delayed', 'failed', 'expanded'] as const) {
      expect(moveForReport(state, { action, status: '5.1.1', category: 'mailbox_unknown' })).toEqual(move(null));
    }
  });
});
