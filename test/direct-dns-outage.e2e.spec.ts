import { DispatcherService } from '../src/notifications/dispatcher.service';
import { citizen, createSlot } from './factories/scheduling.factory';
import { ScriptedSmtpServer } from './support/scripted-smtp';
import { http, restoreClockAfterEach, startTestApp, TestApp } from './support/test-app';

/**
 * Direct delivery while our own DNS resolver does not answer (SERVFAIL for every name, the
 * canary domain too): that is our side, like an unreachable relay. No attempt is used up, one
 * probe per period, everything out once when the resolver answers again. A single domain whose
 * DNS fails while the canary resolves is that domain's trouble and counts as usual. (Before:
 * every lookup failure used up an attempt, and with OUTBOX_MAX_ATTEMPTS=3 the mail failed.)
 */
describe('direct delivery: our DNS resolver is down, then back', () => {
  const mx = new ScriptedSmtpServer();
  let app: TestApp;
  let resolverDown = false;
  const brokenDomains = new Set<string>();
  restoreClockAfterEach(() => app?.clock);

  const servfail = (domain: string) =>
    Object.assign(new Error(`queryMx ESERVFAIL ${domain}`), { code: 'ESERVFAIL', hostname: domain });

  beforeAll(async () => {
    await mx.start({ host: '127.0.0.5' });
    app = await startTestApp({
      env: {
        MAIL_TRANSPORT: 'direct',
        DIRECT_SMTP_PORT: String(mx.port),
        HELO_NAME: 'mail.stadt.example',
        OUTBOX_MAX_ATTEMPTS: '3',
        RETRY_BASE_SECONDS: '1',
        DNS_CANARY_DOMAIN: 'canary.example',
      },
      mxResolver: {
        resolveMx: async (domain) => {
          if (resolverDown || brokenDomains.has(domain)) throw servfail(domain);
          return [{ exchange: '127.0.0.5', priority: 10 }];
        },
      },
    });
  });
  afterAll(async () => {
    await app.close();
    await mx.stop();
  });

  const messagesOf = async (ids: string[]) =>
    (
      await app.db.query(
        `SELECT state, attempts FROM outbox_messages WHERE booking_id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], booking_id)`,
        [ids],
      )
    ).rows as Array<{ state: string; attempts: number }>;
  const ourCircuit = async () =>
    (await app.db.query(`SELECT state FROM provider_circuits WHERE family = 'our-relay'`)).rows[0]?.state ?? 'closed';
  const book = async (slotId: string, domain: string) => {
    const who = citizen();
    const email = who.email.replace('example.org', domain);
    const res = await http(app, 'POST', '/api/v1/bookings', { body: { slotId, ...who, email } });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, email };
  };

  it('no attempt used up, nothing failed, one probe per period; everything out once when it answers', async () => {
    const { slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-08T08:00:00Z' });
    resolverDown = true;
    const booked = [];
    for (const domain of ['stadt-a.example', 'stadt-b.example', 'stadt-c.example']) booked.push(await book(slotId, domain));
    const ids = booked.map((b) => b.id);
    const dispatcher = app.app.get(DispatcherService);
    const tried = async () =>
      (
        await app.db.query(
          `SELECT count(*)::int AS n FROM mail_attempts a JOIN outbox_messages o ON o.id = a.message_id WHERE o.booking_id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows[0].n as number;
    await dispatcher.dispatchOnce();
    expect(await ourCircuit()).toBe('open');
    // The first round's lanes run side by side: each may have tried before the circuit opened.
    const first = await tried();
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(3);
    for (let round = 0; round < 6; round++) {
      app.clock.advance({ minutes: 10 });
      await dispatcher.dispatchOnce();
    }
    expect(await messagesOf(ids)).toEqual(Array(3).fill({ state: 'deferred', attempts: 0 }));
    expect(await tried()).toBe(first + 6); // then one probe per period

    resolverDown = false;
    app.clock.advance({ minutes: 10 });
    await dispatcher.dispatchOnce();
    expect(await ourCircuit()).toBe('closed');
    await dispatcher.dispatchOnce();
    expect((await messagesOf(ids)).map((m) => [m.state, m.attempts])).toEqual(Array(3).fill(['accepted', 1]));
    for (const b of booked) expect(mx.received.filter((r) => r.to.includes(b.email))).toHaveLength(1);
  });

  it("one domain's DNS failing while the canary resolves is that domain's trouble: attempts count, the path stays open", async () => {
    const { slotId } = await createSlot(app.db, { capacity: 10, startsAt: '2026-06-08T09:00:00Z' });
    brokenDomains.add('kaputt.example');
    try {
      const broken = await book(slotId, 'kaputt.example');
      const fine = await book(slotId, 'heil.example');
      const dispatcher = app.app.get(DispatcherService);
      await dispatcher.dispatchOnce();
      expect(await ourCircuit()).toBe('closed');
      expect(await messagesOf([broken.id, fine.id])).toEqual([
        { state: 'deferred', attempts: 1 },
        { state: 'accepted', attempts: 1 },
      ]);
    } finally {
      brokenDomains.delete('kaputt.example');
    }
  });
});
