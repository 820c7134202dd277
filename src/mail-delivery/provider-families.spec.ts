import {
  BUILT_IN_DOMAIN_FAMILIES,
  BUILT_IN_MX_SUFFIXES,
  domainOf,
  familyOfDomain,
  familyOfMxHost,
  MxResolver,
  ProviderFamilyResolver,
} from './provider-families';

type MxRecords = Array<{ exchange: string; priority: number }>;

/** A resolver answering from a table, counting questions per domain. */
function fakeResolver(answers: Record<string, MxRecords | Error>): MxResolver & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async resolveMx(domain: string) {
      calls.push(domain);
      const answer = answers[domain];
      if (answer instanceof Error) throw answer;
      if (!answer) throw Object.assign(new Error(`queryMx ENOTFOUND ${domain}`), { code: 'ENOTFOUND' });
      return answer;
    },
  };
}

function dnsError(code: string): Error {
  return Object.assign(new Error(`queryMx ${code}`), { code });
}

/** A clock tests move by hand. */
function manualNow(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

const HOUR = 60 * 60 * 1000;

describe('familyOfDomain', () => {
  it.each([
    ['gmx.de', 'united-internet'],
    ['gmx.net', 'united-internet'],
    ['gmx.at', 'united-internet'],
    ['gmx.ch', 'united-internet'],
    ['web.de', 'united-internet'],
    ['mail.com', 'united-internet'],
    ['email.com', 'united-internet'],
    ['usa.com', 'united-internet'],
    ['1und1.de', 'united-internet'],
    ['online.de', 'united-internet'],
    ['ionos.de', 'united-internet'],
    ['t-online.de', 'telekom'],
    ['magenta.de', 'telekom'],
    ['gmail.com', 'google'],
    ['googlemail.com', 'google'],
    ['outlook.de', 'microsoft'],
    ['hotmail.de', 'microsoft'],
    ['live.de', 'microsoft'],
    ['msn.com', 'microsoft'],
    ['yahoo.de', 'yahoo'],
    ['ymail.com', 'yahoo'],
    ['icloud.com', 'apple'],
    ['me.com', 'apple'],
    ['mac.com', 'apple'],
    ['freenet.de', 'freenet'],
    ['posteo.de', 'posteo'],
    ['posteo.net', 'posteo'],
    ['mailbox.org', 'mailbox-org'],
    ['arcor.de', 'vodafone'],
  ])('%s -> %s', (domain, family) => {
    expect(familyOfDomain(domain)).toBe(family);
  });

  it.each([
    ['GMX.DE', 'united-internet'],
    ['web.de.', 'united-internet'],
    ['  T-Online.de  ', 'telekom'],
    ['Max.Mustermann@Gmail.com', 'google'],
  ])('normalises %j', (input, family) => {
    expect(familyOfDomain(input)).toBe(family);
  });

  it.each(['stadt.example', 'mygmx.de', 'gmx.de.example', '', 'constructor', 'toString', '__proto__'])(
    'knows nothing of %j',
    (domain) => {
      expect(familyOfDomain(domain)).toBeUndefined();
    },
  );

  it('takes families from overrides, case-insensitively', () => {
    expect(familyOfDomain('stadt-bonn.de', { 'Stadt-Bonn.DE': 'telekom' })).toBe('telekom');
    expect(familyOfDomain('stadt-koeln.de', { 'stadt-bonn.de': 'telekom' })).toBeUndefined();
  });

  it('lets overrides win over the built-in table', () => {
    expect(familyOfDomain('gmx.de', { 'gmx.de': 'gmx-only' })).toBe('gmx-only');
  });

  it('has only lower-case keys without trailing dots, so lookups can find them', () => {
    for (const domain of Object.keys(BUILT_IN_DOMAIN_FAMILIES)) expect(domain).toBe(domainOf(domain));
  });
});

describe('familyOfMxHost', () => {
  it.each([
    ['mx00.emig.gmx.net', 'united-internet'],
    ['mx-ha03.web.de.', 'united-internet'],
    ['MX01.KUNDENSERVER.DE', 'united-internet'],
    ['mx00.ionos.de', 'united-internet'],
    ['mx00.mail.com', 'united-internet'],
    ['mx00.t-online.de', 'telekom'],
    ['gmail-smtp-in.l.google.com', 'google'],
    ['aspmx.l.google.com', 'google'],
    ['stadt-de.mail.protection.outlook.com', 'microsoft'],
    ['eur.olc.protection.outlook.com', 'microsoft'],
    ['mx1.hotmail.com', 'microsoft'],
    ['mta5.am0.yahoodns.net', 'yahoo'],
    ['mx01.mail.icloud.com', 'apple'],
    ['mx.freenet.de', 'freenet'],
    ['mx01.posteo.de', 'posteo'],
    ['mxext1.mailbox.org', 'mailbox-org'],
  ])('%s -> %s', (host, family) => {
    expect(familyOfMxHost(host)).toBe(family);
  });

  it.each(['mx.gmail.com', 'evilgmx.net', 'mail.stadt.example', 'gmx.net.example', ''])(
    'matches %j on label boundaries only',
    (host) => {
      expect(familyOfMxHost(host)).toBeUndefined();
    },
  );

  it('matches a suffix given without its leading dot, and the suffix host itself', () => {
    expect(familyOfMxHost('web.de')).toBe('united-internet');
    expect(familyOfMxHost('mx1.hosting.example', [{ suffix: 'hosting.example', family: 'acme-hosting' }])).toBe('acme-hosting');
  });

  it('tries extra suffixes before the built-in ones', () => {
    expect(familyOfMxHost('mx00.t-online.de', [{ suffix: '.t-online.de', family: 'telekom-special' }])).toBe('telekom-special');
  });

  it('has lower-case, dot-led built-in suffixes', () => {
    for (const { suffix } of BUILT_IN_MX_SUFFIXES) expect(suffix).toMatch(/^\.[a-z0-9.-]+[a-z]$/);
  });
});

describe('ProviderFamilyResolver', () => {
  it('answers from the domain table without asking DNS', async () => {
    const resolver = fakeResolver({});
    const families = new ProviderFamilyResolver({ resolver });
    await expect(families.familyOf('Max.Mustermann@GMX.de')).resolves.toBe('united-internet');
    await expect(families.familyOf('t-online.de')).resolves.toBe('telekom');
    expect(resolver.calls).toEqual([]);
  });

  it('lets overrides win over the table and over DNS', async () => {
    const resolver = fakeResolver({ 'stadt-bonn.de': [{ exchange: 'mx00.emig.gmx.net', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver, overrides: { 'stadt-bonn.de': 'city-bonn', 'gmx.de': 'gmx-only' } });
    await expect(families.familyOf('buergeramt@stadt-bonn.de')).resolves.toBe('city-bonn');
    await expect(families.familyOf('anna@gmx.de')).resolves.toBe('gmx-only');
    expect(resolver.calls).toEqual([]);
  });

  it('finds a custom domain hosted at GMX by its MX host', async () => {
    const resolver = fakeResolver({
      'familie-mustermann.de': [
        { exchange: 'mx01.emig.gmx.net', priority: 10 },
        { exchange: 'mx00.emig.gmx.net', priority: 10 },
      ],
    });
    const families = new ProviderFamilyResolver({ resolver });
    await expect(families.familyOf('max@Familie-Mustermann.de')).resolves.toBe('united-internet');
    expect(resolver.calls).toEqual(['familie-mustermann.de']);
  });

  it('takes the most preferred MX, not the first listed', async () => {
    const resolver = fakeResolver({
      'example.org': [
        { exchange: 'mx00.t-online.de', priority: 20 },
        { exchange: 'example-org.mail.protection.outlook.com', priority: 0 },
      ],
    });
    const families = new ProviderFamilyResolver({ resolver });
    await expect(families.familyOf('anna@example.org')).resolves.toBe('microsoft');
  });

  it('uses extra MX suffixes from configuration', async () => {
    const resolver = fakeResolver({ 'stadt.example': [{ exchange: 'mail.kommunal-it.example', priority: 10 }] });
    const families = new ProviderFamilyResolver({
      resolver,
      extraMxSuffixes: [{ suffix: '.kommunal-it.example', family: 'kommunal-it' }],
    });
    await expect(families.familyOf('stadt.example')).resolves.toBe('kommunal-it');
  });

  it('falls back to the lower-case domain when no MX host matches', async () => {
    const resolver = fakeResolver({ 'stadt.example': [{ exchange: 'mail.stadt.example', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver });
    await expect(families.familyOf('Max@Stadt.Example.')).resolves.toBe('stadt.example');
  });

  it('asks DNS once within the TTL and again after it', async () => {
    const clock = manualNow();
    const resolver = fakeResolver({ 'familie-mustermann.de': [{ exchange: 'mx00.emig.gmx.net', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver, ttlMs: HOUR, now: clock.now });

    await expect(families.familyOf('max@familie-mustermann.de')).resolves.toBe('united-internet');
    clock.advance(HOUR - 1);
    await expect(families.familyOf('erika@familie-mustermann.de')).resolves.toBe('united-internet');
    expect(resolver.calls).toHaveLength(1);

    clock.advance(2);
    await expect(families.familyOf('max@familie-mustermann.de')).resolves.toBe('united-internet');
    expect(resolver.calls).toHaveLength(2);
  });

  it('defaults the TTL to one hour', async () => {
    const clock = manualNow();
    const resolver = fakeResolver({ 'stadt.example': [{ exchange: 'mail.stadt.example', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver, now: clock.now });
    await families.familyOf('stadt.example');
    clock.advance(HOUR - 1);
    await families.familyOf('stadt.example');
    expect(resolver.calls).toHaveLength(1);
    clock.advance(1);
    await families.familyOf('stadt.example');
    expect(resolver.calls).toHaveLength(2);
  });

  it('caches negative answers (no provider matched, no MX at all) for the TTL', async () => {
    const clock = manualNow();
    const resolver = fakeResolver({ 'stadt.example': [{ exchange: 'mail.stadt.example', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver, ttlMs: HOUR, now: clock.now });
    await expect(families.familyOf('stadt.example')).resolves.toBe('stadt.example');
    await expect(families.familyOf('no-mx.example')).resolves.toBe('no-mx.example');
    clock.advance(HOUR / 2);
    await expect(families.familyOf('stadt.example')).resolves.toBe('stadt.example');
    await expect(families.familyOf('no-mx.example')).resolves.toBe('no-mx.example');
    expect(resolver.calls).toEqual(['stadt.example', 'no-mx.example']);
  });

  it('shares one query between concurrent lookups of a domain', async () => {
    const resolver = fakeResolver({ 'familie-mustermann.de': [{ exchange: 'mx00.emig.gmx.net', priority: 10 }] });
    const families = new ProviderFamilyResolver({ resolver });
    const results = await Promise.all([
      families.familyOf('a@familie-mustermann.de'),
      families.familyOf('b@familie-mustermann.de'),
    ]);
    expect(results).toEqual(['united-internet', 'united-internet']);
    expect(resolver.calls).toHaveLength(1);
  });

  it('falls back to the domain when DNS does not answer in time, and does not remember that for long', async () => {
    const clock = manualNow();
    let calls = 0;
    const hanging: MxResolver = {
      resolveMx: () => {
        calls++;
        return new Promise(() => undefined);
      },
    };
    const families = new ProviderFamilyResolver({
      resolver: hanging,
      timeoutMs: 20,
      failureTtlMs: 30_000,
      ttlMs: HOUR,
      now: clock.now,
    });

    const started = Date.now();
    await expect(families.familyOf('max@slow-dns.example')).resolves.toBe('slow-dns.example');
    expect(Date.now() - started).toBeLessThan(1000);

    // Briefly remembered, so a dead resolver is not asked for every single mail...
    await families.familyOf('max@slow-dns.example');
    expect(calls).toBe(1);
    // ...but asked again well before the TTL of a real answer.
    clock.advance(30_001);
    await families.familyOf('max@slow-dns.example');
    expect(calls).toBe(2);
  });

  it('uses the answer once a timed-out domain resolves again', async () => {
    const clock = manualNow();
    let slow = true;
    const resolver: MxResolver = {
      resolveMx: () => (slow ? new Promise(() => undefined) : Promise.resolve([{ exchange: 'mx00.emig.gmx.net', priority: 10 }])),
    };
    const families = new ProviderFamilyResolver({ resolver, timeoutMs: 10, now: clock.now });
    await expect(families.familyOf('familie-mustermann.de')).resolves.toBe('familie-mustermann.de');
    slow = false;
    clock.advance(60_001);
    await expect(families.familyOf('familie-mustermann.de')).resolves.toBe('united-internet');
  });

  it.each([
    ['a SERVFAIL', dnsError('ESERVFAIL')],
    ['a refused query', dnsError('ECONNREFUSED')],
    ['an error without code', new Error('resolver exploded')],
  ])('falls back to the domain on %s and asks again soon', async (_name, error) => {
    const clock = manualNow();
    const resolver = fakeResolver({ 'stadt.example': error });
    const families = new ProviderFamilyResolver({ resolver, ttlMs: HOUR, failureTtlMs: 60_000, now: clock.now });
    await expect(families.familyOf('max@stadt.example')).resolves.toBe('stadt.example');
    clock.advance(60_001);
    await expect(families.familyOf('max@stadt.example')).resolves.toBe('stadt.example');
    expect(resolver.calls).toHaveLength(2);
  });

  it('never throws, even when the resolver throws synchronously or returns garbage', async () => {
    const throwing: MxResolver = {
      resolveMx: () => {
        throw new Error('not even a promise');
      },
    };
    await expect(new ProviderFamilyResolver({ resolver: throwing }).familyOf('stadt.example')).resolves.toBe('stadt.example');

    const garbage = {
      resolveMx: async () => [null, { exchange: 42, priority: 1 }, { exchange: 'mx00.t-online.de', priority: 5 }],
    } as unknown as MxResolver;
    await expect(new ProviderFamilyResolver({ resolver: garbage }).familyOf('stadt.example')).resolves.toBe('telekom');

    await expect(new ProviderFamilyResolver({ resolver: fakeResolver({}) }).familyOf('')).resolves.toBe('');
  });

  it('forgets the oldest entries beyond maxEntries', async () => {
    const resolver = fakeResolver({});
    const families = new ProviderFamilyResolver({ resolver, maxEntries: 2 });
    await families.familyOf('a.example');
    await families.familyOf('b.example');
    await families.familyOf('c.example');
    await families.familyOf('c.example');
    await families.familyOf('a.example');
    expect(resolver.calls).toEqual(['a.example', 'b.example', 'c.example', 'a.example']);
  });
});
