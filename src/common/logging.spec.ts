import { createPino, PinoLoggerService, requestIdOf, scrub } from './logging';

describe('logging', () => {
  it.each([
    ['550 5.1.1 <erika.muster@gmx.de>: Recipient address rejected', '550 5.1.1 <<address>>: Recipient address rejected'],
    ['sms to +49 151 23456789 failed', 'sms to <phone> failed'],
    ['GET /confirm?token=abc.DEF_123-x&lang=en', 'GET /confirm?token=<redacted>&lang=en'],
    ['booking 4f1c…: hold extended', 'booking 4f1c…: hold extended'],
  ])('scrubs %j', (text, expected) => {
    expect(scrub(text)).toBe(expected);
  });

  it("keeps the proxy's request id when it is sane, else makes one", () => {
    expect(requestIdOf('lb-7f3a:42')).toBe('lb-7f3a:42');
    expect(requestIdOf(['first-id', 'second'])).toBe('first-id');
    for (const bad of [undefined, '', 'has space', '<script>', 'x'.repeat(129)])
      expect(requestIdOf(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one JSON object per line with level, context and message, scrubbed', () => {
    const lines: string[] = [];
    const log = new PinoLoggerService(createPino({ logLevel: 'info', logFormat: 'json' }, { write: (l) => lines.push(l) }));
    log.warn('relay refused erika@example.org', 'Dispatcher');
    log.debug('not at info', 'Dispatcher');
    log.error('round failed', 'Error: x\n    at y', 'Dispatcher');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'warn', context: 'Dispatcher', msg: 'relay refused <address>' }),
      expect.objectContaining({ level: 'error', context: 'Dispatcher', msg: 'round failed', stack: 'Error: x\n    at y' }),
    ]);
  });

  it('writes readable lines with LOG_FORMAT=log', () => {
    const lines: string[] = [];
    const log = createPino({ logLevel: 'info', logFormat: 'log' }, { write: (l) => lines.push(l) });
    log.info({ context: 'http', route: '/health', status: 200 }, 'request');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INFO  \[http\] request route=\/health status=200\n$/);
  });
});

describe('scrub keeps what belongs to no one', () => {
  it('keeps the development admin’s .localhost address, replaces a citizen’s', () => {
    expect(scrub('development admin created: admin@holdfast.localhost / x')).toContain('admin@holdfast.localhost');
    expect(scrub('mail to erika@example.org failed')).toBe('mail to <address> failed');
  });
});
