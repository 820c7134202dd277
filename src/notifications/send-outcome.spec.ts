import type { ReplyCategory } from '../mail-delivery/smtp-reply-classifier';
import {
  acceptanceOf,
  circuitEventOfRefusal,
  classifySendError,
  FailedSendOutcome,
  outcomeOfRefusal,
  ourSideDown,
} from './send-outcome';

const smtpError = (responseCode: number, response: string, command = 'RCPT TO') =>
  Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), {
    code: 'EENVELOPE',
    responseCode,
    response,
    command,
  });

describe('what a failed send means for retrying', () => {
  it('retries a 4xx', () => {
    expect(classifySendError(smtpError(451, '451 4.7.1 Try again later'))).toMatchObject({ temporary: true, replyCode: 451 });
  });

  it('gives up on an unknown mailbox', () => {
    expect(
      classifySendError(smtpError(550, '550 5.1.1 <a@example.org>: Recipient address rejected: User unknown')),
    ).toMatchObject({ temporary: false, category: 'mailbox_unknown', replyCode: 550 });
  });

  it('keeps retrying when GMX blocks our IP with a 554: the address is not at fault', () => {
    const v = classifySendError(
      smtpError(
        554,
        '554-gmx.net (mxgmx104) Nemesis ESMTP Service not available\n554-No SMTP service\n554-IP address is block listed.\n554 For explanation visit https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42',
        'CONN',
      ),
    );
    expect(v).toMatchObject({ temporary: true, category: 'provider_block' });
  });

  it('retries a network failure without a reply', () => {
    const v = classifySendError(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET', command: 'CONN' }),
    );
    expect(v).toMatchObject({ temporary: true, category: 'network', replyCode: null, errorCode: 'ESOCKET' });
  });
});

describe('outcomeOfRefusal: what a refused send becomes', () => {
  const v = (category: ReplyCategory, temporary: boolean) => ({ category, temporary });
  const cases: Array<[string, Parameters<typeof outcomeOfRefusal>[0], FailedSendOutcome]> = [
    [
      'a block while the circuit is open: held, whatever the attempts',
      { verdict: v('provider_block', true), familyBlocked: true, attempts: 9, maxAttempts: 3 },
      'held',
    ],
    [
      'even a mailbox verdict waits while the family is blocked',
      { verdict: v('mailbox_unknown', false), familyBlocked: true, attempts: 1, maxAttempts: 3 },
      'held',
    ],
    [
      'unknown mailbox, permanent: bounced',
      { verdict: v('mailbox_unknown', false), familyBlocked: false, attempts: 1, maxAttempts: 3 },
      'bounced',
    ],
    [
      'unknown mailbox said temporarily: retried',
      { verdict: v('mailbox_unknown', true), familyBlocked: false, attempts: 1, maxAttempts: 3 },
      'deferred',
    ],
    [
      'a permanent refusal: failed',
      { verdict: v('content_reject', false), familyBlocked: false, attempts: 1, maxAttempts: 3 },
      'failed',
    ],
    [
      'temporary, attempts left: retried',
      { verdict: v('greylist', true), familyBlocked: false, attempts: 2, maxAttempts: 3 },
      'deferred',
    ],
    [
      'temporary on the last attempt: failed',
      { verdict: v('greylist', true), familyBlocked: false, attempts: 3, maxAttempts: 3 },
      'failed',
    ],
    [
      'a block that did not open the circuit: retried',
      { verdict: v('provider_block', true), familyBlocked: false, attempts: 1, maxAttempts: 3 },
      'deferred',
    ],
  ];
  it.each(cases)('%s', (_name, facts, expected) => {
    expect(outcomeOfRefusal(facts)).toBe(expected);
  });
});

describe('circuitEventOfRefusal: what a refusal tells the family circuit', () => {
  const message = { id: 'm1', isProbe: false };
  it.each([
    ['provider_block', { type: 'reply', category: 'provider_block', at: 5 }],
    ['rate_limit', { type: 'reply', category: 'rate_limit', at: 5 }],
    ['mailbox_unknown', undefined],
    ['greylist', undefined],
    ['network', undefined],
  ] as Array<[ReplyCategory, unknown]>)('a %s reply', (category, expected) => {
    expect(circuitEventOfRefusal({ category }, message, 5)).toEqual(expected);
  });

  it('a probe reports its result, whatever the category', () => {
    expect(circuitEventOfRefusal({ category: 'greylist' }, { id: 'p', isProbe: true }, 7)).toEqual({
      type: 'probe_result',
      messageId: 'p',
      ok: false,
      category: 'greylist',
      at: 7,
    });
  });
});

describe('acceptanceOf: what a 250 makes of a message', () => {
  it.each<[string, Parameters<typeof acceptanceOf>[0], number, ReturnType<typeof acceptanceOf>]>([
    [
      "the recipient's MX (direct delivery, or the development mailbox): delivered now",
      { acceptedBy: 'mx', reportsRequested: false },
      30,
      { acceptedBy: 'mx', state: 'accepted', evidence: 'smtp', reportsRequested: false },
    ],
    [
      'our relay, reports asked for: in transit until its report',
      { acceptedBy: 'relay', reportsRequested: true },
      30,
      { acceptedBy: 'relay', state: 'in_transit', evidence: null, reportsRequested: true },
    ],
    [
      'our relay, reports asked for, even with the transit rule at 0: in transit',
      { acceptedBy: 'relay', reportsRequested: true },
      0,
      { acceptedBy: 'relay', state: 'in_transit', evidence: null, reportsRequested: true },
    ],
    [
      'our relay without DSN: in transit until the transit rule',
      { acceptedBy: 'relay', reportsRequested: false },
      30,
      { acceptedBy: 'relay', state: 'in_transit', evidence: null, reportsRequested: false },
    ],
    [
      'our relay without DSN, transit rule 0 minutes: delivered at once by the rule',
      { acceptedBy: 'relay', reportsRequested: false },
      0,
      { acceptedBy: 'relay', state: 'accepted', evidence: 'transit_rule', reportsRequested: false },
    ],
    [
      'the SMS gateway: accepted, delivered only by the handset report',
      { acceptedBy: 'sms_gateway', reportsRequested: false },
      30,
      { acceptedBy: 'sms_gateway', state: 'accepted', evidence: null, reportsRequested: false },
    ],
  ])('%s', (_name, acceptance, minutes, expected) => {
    expect(acceptanceOf(acceptance, minutes)).toEqual(expected);
  });
});

describe('ourSideDown', () => {
  const network = { replyCode: null, category: 'network' as const };
  it('relay mode: any failure before an SMTP answer is our relay being down', () => {
    expect(ourSideDown('relay', { ...network, errorCode: 'ECONNREFUSED' })).toBe(true);
    expect(ourSideDown('relay', { replyCode: 421, category: 'rate_limit', errorCode: null })).toBe(false);
  });
  it("direct mode: only our resolver not answering; an MX that is down or a domain's broken DNS is the recipient's side", () => {
    expect(ourSideDown('direct', { ...network, errorCode: 'ERESOLVER' })).toBe(true);
    expect(ourSideDown('direct', { ...network, errorCode: 'EDNS' })).toBe(false);
    expect(ourSideDown('direct', { ...network, errorCode: 'ECONNREFUSED' })).toBe(false);
    expect(ourSideDown('development', { ...network, errorCode: 'ERESOLVER' })).toBe(false);
  });
});
