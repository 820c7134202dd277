import { fillSecrets, placeholder, secretSlot } from './message-secrets';

describe('message secrets', () => {
  it('fills every placeholder of subject, text and html from its slot, and drops the slots', () => {
    const token = secretSlot('token');
    const code = secretSlot('code');
    const sent = fillSecrets(
      {
        to: 'a@example.org',
        subject: 'Code ' + placeholder('code'),
        text: `Link ${placeholder('confirm')} und nochmal ${placeholder('confirm')}, Code ${placeholder('code')}`,
        html: `<a href="https://x/confirm?token=${placeholder('confirm')}">`,
        secrets: { confirm: token, code },
      },
      (slot) => (slot === token ? 'TOKEN' : '123456'),
    );
    expect(sent).toEqual({
      to: 'a@example.org',
      subject: 'Code 123456',
      text: 'Link TOKEN und nochmal TOKEN, Code 123456',
      html: '<a href="https://x/confirm?token=TOKEN">',
    });
  });

  it('a payload queued before (no slots) is sent as stored', () => {
    expect(fillSecrets({ text: 'token=abc' }, () => 'never')).toEqual({ text: 'token=abc' });
  });

  it('two slots never share a nonce', () => {
    expect(secretSlot('token').nonce).not.toBe(secretSlot('token').nonce);
  });
});
