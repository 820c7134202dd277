import { classifySendError } from './send-outcome';

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
