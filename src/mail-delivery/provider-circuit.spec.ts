import {
  CircuitEffect,
  CircuitEvent,
  CircuitOptions,
  CircuitState,
  DEFAULT_CIRCUIT_OPTIONS,
  initialCircuit,
  mayAttempt,
  transitionCircuit,
} from './provider-circuit';
import type { ReplyCategory } from './smtp-reply-classifier';

const MIN = 60 * 1000;
/** An arbitrary fixed start, so the cases read in minutes from it. */
const T0 = Date.UTC(2024, 2, 4, 8, 0, 0);
const t = (minutes: number): number => T0 + minutes * MIN;

const FAMILY = 'united-internet';

/** Events from a fresh circuit, one after the other; the effects seen on the way. */
function run(events: CircuitEvent[], options?: Partial<CircuitOptions>, from: CircuitState = initialCircuit(FAMILY, options)) {
  let state = from;
  const effects: CircuitEffect[] = [];
  for (const event of events) {
    const result = transitionCircuit(state, event, options);
    if (result.effect) effects.push(result.effect);
    state = result.state;
  }
  return { state, effects };
}

const reply = (category: ReplyCategory, minutes: number): CircuitEvent => ({ type: 'reply', category, at: t(minutes) });
const tick = (minutes: number): CircuitEvent => ({ type: 'tick', at: t(minutes) });
const probe = (messageId: string, minutes: number): CircuitEvent => ({ type: 'probe_started', messageId, at: t(minutes) });
const probeOk = (messageId: string, minutes: number): CircuitEvent => ({
  type: 'probe_result',
  messageId,
  ok: true,
  at: t(minutes),
});
const probeFailed = (messageId: string, minutes: number, category?: ReplyCategory): CircuitEvent =>
  category === undefined
    ? { type: 'probe_result', messageId, ok: false, at: t(minutes) }
    : { type: 'probe_result', messageId, ok: false, category, at: t(minutes) };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

describe('DEFAULT_CIRCUIT_OPTIONS', () => {
  it('are the documented defaults', () => {
    expect(DEFAULT_CIRCUIT_OPTIONS).toEqual({
      rateLimitThreshold: 3,
      rateLimitWindowMs: 10 * MIN,
      initialOpenMs: 15 * MIN,
      maxOpenMs: 240 * MIN,
      probeTimeoutMs: 2 * MIN,
    });
  });
});

describe('initialCircuit', () => {
  it('is closed with the initial period and no history, as a plain JSON object', () => {
    const s = initialCircuit('google');
    expect(s).toStrictEqual({ family: 'google', state: 'closed', openPeriodMs: 15 * MIN, rateLimitHits: [], failedProbes: 0 });
    expect(JSON.parse(JSON.stringify(s))).toStrictEqual(s);
  });

  it('takes its period from the options', () => {
    expect(initialCircuit('google', { initialOpenMs: 5 * MIN }).openPeriodMs).toBe(5 * MIN);
  });
});

describe('transitionCircuit: opening from closed', () => {
  const cases: Array<{
    name: string;
    events: CircuitEvent[];
    options?: Partial<CircuitOptions>;
    phase: CircuitState['state'];
    effects: CircuitEffect[];
    openUntil?: number;
  }> = [
    {
      name: 'a provider block opens at once',
      events: [reply('provider_block', 0)],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(15),
    },
    {
      name: '3 rate limits within 10 minutes open',
      events: [reply('rate_limit', 0), reply('rate_limit', 4), reply('rate_limit', 9)],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(24),
    },
    {
      name: '3 rate limits spread over 30 minutes do not',
      events: [reply('rate_limit', 0), reply('rate_limit', 15), reply('rate_limit', 30)],
      phase: 'closed',
      effects: [],
    },
    {
      name: '3 rate limits whose first is exactly 10 minutes old do not (the window is open at the far end)',
      events: [reply('rate_limit', 0), reply('rate_limit', 5), reply('rate_limit', 10)],
      phase: 'closed',
      effects: [],
    },
    {
      name: '3 rate limits 9:59 apart open',
      events: [reply('rate_limit', 0), reply('rate_limit', 5), reply('rate_limit', 10 - 1 / 60)],
      phase: 'open',
      effects: ['opened'],
    },
    { name: '2 rate limits do not', events: [reply('rate_limit', 0), reply('rate_limit', 1)], phase: 'closed', effects: [] },
    {
      name: 'the 4th of a long series opens once 3 fall into one window',
      events: [
        reply('rate_limit', 0),
        reply('rate_limit', 11),
        reply('rate_limit', 22),
        reply('rate_limit', 25),
        reply('rate_limit', 29),
      ],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(29 + 15),
    },
    {
      name: 'rate-limit replies arriving out of order still count',
      events: [reply('rate_limit', 9), reply('rate_limit', 0), reply('rate_limit', 5)],
      phase: 'open',
      effects: ['opened'],
    },
    {
      name: 'a report arriving far out of order does not pull hits of another window together',
      events: [reply('rate_limit', 100), reply('rate_limit', 101), reply('rate_limit', 0)],
      phase: 'closed',
      effects: [],
    },
    {
      name: 'threshold and window are configurable',
      options: { rateLimitThreshold: 2, rateLimitWindowMs: 1 * MIN },
      events: [reply('rate_limit', 0), reply('rate_limit', 0.5)],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(0.5 + 15),
    },
    {
      name: 'a configured narrower window keeps it closed',
      options: { rateLimitWindowMs: 1 * MIN },
      events: [reply('rate_limit', 0), reply('rate_limit', 0.9), reply('rate_limit', 1.5)],
      phase: 'closed',
      effects: [],
    },
    {
      name: 'the initial open period is configurable',
      options: { initialOpenMs: 5 * MIN },
      events: [reply('provider_block', 0)],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(5),
    },
    {
      name: 'rate-limit hits before a block are forgotten: the block decides',
      events: [reply('rate_limit', 0), reply('rate_limit', 1), reply('provider_block', 2)],
      phase: 'open',
      effects: ['opened'],
      openUntil: t(17),
    },
  ];

  it.each(cases)('$name', ({ events, options, phase, effects, openUntil }) => {
    const { state, effects: seen } = run(events, options);
    expect(state.state).toBe(phase);
    expect(seen).toEqual(effects);
    if (openUntil !== undefined) expect(state.openUntil).toBe(openUntil);
    if (phase === 'open') expect(state.rateLimitHits).toEqual([]);
  });

  const harmless: ReplyCategory[] = [
    'greylist',
    'sender_config',
    'content_reject',
    'mailbox_unknown',
    'mailbox_full',
    'relay_limit',
    'network',
    'unknown_temporary',
    'unknown_permanent',
  ];

  it.each(harmless)('%s replies never touch the circuit, however many', (category) => {
    let state = initialCircuit(FAMILY);
    for (let i = 0; i < 20; i++) {
      const result = transitionCircuit(state, reply(category, i * 0.1));
      expect(result.changed).toBe(false);
      expect(result.effect).toBeUndefined();
      state = result.state;
    }
    expect(state).toStrictEqual(initialCircuit(FAMILY));
  });

  it('keeps only the rate-limit hits inside the window, so the stored state stays small', () => {
    const { state } = run([reply('rate_limit', 0), reply('rate_limit', 1)], { rateLimitThreshold: 3 });
    expect(state.rateLimitHits).toEqual([t(0), t(1)]);
    const many = run(
      Array.from({ length: 10 }, (_, i) => reply('rate_limit', i * 6)),
      { rateLimitThreshold: 3 },
    );
    expect(many.state.state).toBe('closed');
    expect(many.state.rateLimitHits.length).toBeLessThanOrEqual(3);
    expect(many.state.rateLimitHits).toEqual([t(48), t(54)]);
  });

  it('a tick drops hits that left the window (and says the state changed)', () => {
    const { state } = run([reply('rate_limit', 0), reply('rate_limit', 8)]);
    const result = transitionCircuit(state, tick(12));
    expect(result.changed).toBe(true);
    expect(result.state.rateLimitHits).toEqual([t(8)]);
    // and so two more hits no longer reach three within the window
    expect(run([reply('rate_limit', 12), reply('rate_limit', 19)], undefined, result.state).state.state).toBe('closed');
  });

  it('an accepted message while closed changes nothing', () => {
    const result = transitionCircuit(initialCircuit(FAMILY), { type: 'accepted', messageId: 'm1', at: t(0) });
    expect(result).toEqual({ state: initialCircuit(FAMILY), changed: false });
  });
});

describe('transitionCircuit: open and half-open', () => {
  const opened = () => run([reply('provider_block', 0)]).state;

  it('stays open before openUntil; replies while open neither extend nor re-open it', () => {
    const s = opened();
    for (const event of [
      tick(14.99),
      reply('provider_block', 5),
      reply('rate_limit', 6),
      { type: 'accepted', messageId: 'late', at: t(7) } as CircuitEvent,
    ]) {
      const result = transitionCircuit(s, event);
      expect(result).toEqual({ state: s, changed: false });
    }
  });

  it('becomes half_open on the tick at openUntil', () => {
    const result = transitionCircuit(opened(), tick(15));
    expect(result.effect).toBe('half_opened');
    expect(result.changed).toBe(true);
    expect(result.state.state).toBe('half_open');
    expect(result.state.probeMessageId).toBeUndefined();
  });

  it.each<[string, CircuitEvent]>([
    ['reply', reply('greylist', 20)],
    ['accepted', { type: 'accepted', messageId: 'x', at: t(20) }],
    ['probe_started', probe('p1', 20)],
  ])('becomes half_open on any event after openUntil, not only a tick (%s)', (_name, event) => {
    const result = transitionCircuit(opened(), event);
    expect(result.effect).toBe('half_opened');
    expect(result.state.state).toBe('half_open');
  });

  it('a probe_started past openUntil both half-opens and records the probe', () => {
    const { state } = run([reply('provider_block', 0), probe('p1', 16)]);
    expect(state).toMatchObject({ state: 'half_open', probeMessageId: 'p1', probeStartedAt: t(16) });
  });

  it('lets exactly one probe go in half_open', () => {
    const half = run([reply('provider_block', 0), tick(15)]).state;
    expect(mayAttempt(half, t(15), 'a')).toBe(true);
    expect(mayAttempt(half, t(15), 'b')).toBe(true);

    const a = transitionCircuit(half, probe('a', 15));
    expect(a.changed).toBe(true);
    expect(a.state.probeMessageId).toBe('a');

    expect(mayAttempt(a.state, t(15.5), 'a')).toBe(true);
    expect(mayAttempt(a.state, t(15.5), 'b')).toBe(false);
    expect(mayAttempt(a.state, t(15.5))).toBe(false);

    // b lost the race (another worker announced it anyway): nothing changes, a stays the probe
    const b = transitionCircuit(a.state, probe('b', 15.5));
    expect(b.changed).toBe(false);
    expect(b.state.probeMessageId).toBe('a');

    // a announced again (its send retried): idempotent, it keeps its original start time
    const again = transitionCircuit(a.state, probe('a', 16.5));
    expect(again.changed).toBe(false);
    expect(again.state.probeStartedAt).toBe(t(15));
  });

  it('replaces a probe without result after the probe timeout, and ignores the replaced probe afterwards', () => {
    const running = run([reply('provider_block', 0), probe('a', 15)]).state;
    expect(mayAttempt(running, t(16.99), 'b')).toBe(false);
    expect(transitionCircuit(running, probe('b', 16.99)).changed).toBe(false);

    expect(mayAttempt(running, t(17), 'b')).toBe(true);
    const replaced = transitionCircuit(running, probe('b', 17));
    expect(replaced.changed).toBe(true);
    expect(replaced.state).toMatchObject({ state: 'half_open', probeMessageId: 'b', probeStartedAt: t(17) });
    expect(mayAttempt(replaced.state, t(17.5), 'a')).toBe(false);

    // the late result of a does not count, whichever way it went
    for (const late of [
      probeOk('a', 18),
      probeFailed('a', 18, 'provider_block'),
      { type: 'accepted', messageId: 'a', at: t(18) } as CircuitEvent,
    ]) {
      expect(transitionCircuit(replaced.state, late)).toEqual({ state: replaced.state, changed: false });
    }
    // b's does
    expect(transitionCircuit(replaced.state, probeOk('b', 18)).effect).toBe('closed');
  });

  it('the probe timeout is configurable', () => {
    const running = run([reply('provider_block', 0), probe('a', 15)], { probeTimeoutMs: 30 * 1000 }).state;
    expect(mayAttempt(running, t(15.5), 'b', { probeTimeoutMs: 30 * 1000 })).toBe(true);
    expect(mayAttempt(running, t(15.5), 'b')).toBe(false);
  });

  const outcomes: Array<{ name: string; result: CircuitEvent; phase: CircuitState['state']; effect?: CircuitEffect }> = [
    { name: 'success closes', result: probeOk('p', 16), phase: 'closed', effect: 'closed' },
    {
      name: "the probe's message accepted closes",
      result: { type: 'accepted', messageId: 'p', at: t(16) },
      phase: 'closed',
      effect: 'closed',
    },
    {
      name: 'failure with provider_block re-opens',
      result: probeFailed('p', 16, 'provider_block'),
      phase: 'open',
      effect: 'reopened',
    },
    { name: 'failure with rate_limit re-opens', result: probeFailed('p', 16, 'rate_limit'), phase: 'open', effect: 'reopened' },
    {
      name: 'failure with mailbox_unknown counts as success',
      result: probeFailed('p', 16, 'mailbox_unknown'),
      phase: 'closed',
      effect: 'closed',
    },
    {
      name: 'failure with mailbox_full counts as success',
      result: probeFailed('p', 16, 'mailbox_full'),
      phase: 'closed',
      effect: 'closed',
    },
    {
      name: 'failure with greylist counts as success',
      result: probeFailed('p', 16, 'greylist'),
      phase: 'closed',
      effect: 'closed',
    },
    {
      name: 'failure with content_reject counts as success',
      result: probeFailed('p', 16, 'content_reject'),
      phase: 'closed',
      effect: 'closed',
    },
    {
      name: 'failure without a reason frees the probe slot and stays half_open',
      result: probeFailed('p', 16),
      phase: 'half_open',
    },
    { name: 'a result for a message that is not the probe is ignored', result: probeOk('other', 16), phase: 'half_open' },
    { name: 'a plain reply in half_open is left to probe_result', result: reply('provider_block', 16), phase: 'half_open' },
  ];

  it.each(outcomes)('probe outcome: $name', ({ result, phase, effect }) => {
    const { state: before } = run([reply('provider_block', 0), probe('p', 15)]);
    const after = transitionCircuit(before, result);
    expect(after.state.state).toBe(phase);
    expect(after.effect).toBe(effect);
    if (phase === 'closed') expect(after.state).toStrictEqual(initialCircuit(FAMILY));
    if (phase === 'open')
      expect(after.state).toMatchObject({ openedAt: t(16), openUntil: t(16 + 30), openPeriodMs: 30 * MIN, failedProbes: 1 });
  });

  it('after a failure without a reason, another message may probe', () => {
    const { state } = run([reply('provider_block', 0), probe('p', 15), probeFailed('p', 15.5)]);
    expect(state.probeMessageId).toBeUndefined();
    expect(mayAttempt(state, t(15.6), 'q')).toBe(true);
  });

  it('doubles the open period with every failed probe, 15 → 30 → 60 → 120 → 240 and then stays at 240 minutes', () => {
    let { state } = run([reply('provider_block', 0)]);
    const periods: number[] = [state.openPeriodMs / MIN];
    for (let i = 0; i < 6; i++) {
      const at = state.openUntil! + 1000;
      const id = `probe-${i}`;
      state = run(
        [
          { type: 'tick', at },
          { type: 'probe_started', messageId: id, at },
          { type: 'probe_result', messageId: id, ok: false, category: i % 2 ? 'rate_limit' : 'provider_block', at: at + 1000 },
        ],
        undefined,
        state,
      ).state;
      expect(state.state).toBe('open');
      expect(state.openUntil! - state.openedAt!).toBe(state.openPeriodMs);
      periods.push(state.openPeriodMs / MIN);
    }
    expect(periods).toEqual([15, 30, 60, 120, 240, 240, 240]);
    expect(state.failedProbes).toBe(6);

    // and a success resets it all: the next block opens for 15 minutes again
    const at = state.openUntil!;
    const closed = run(
      [
        { type: 'probe_started', messageId: 'ok', at },
        { type: 'probe_result', messageId: 'ok', ok: true, at },
      ],
      undefined,
      state,
    ).state;
    expect(closed).toStrictEqual(initialCircuit(FAMILY));
    const reopened = transitionCircuit(closed, { type: 'reply', category: 'provider_block', at: at + MIN }).state;
    expect(reopened.openUntil).toBe(at + MIN + 15 * MIN);
  });

  it('caps at a configured maximum', () => {
    const options = { initialOpenMs: 10 * MIN, maxOpenMs: 25 * MIN };
    let { state } = run([reply('provider_block', 0)], options);
    const periods: number[] = [];
    for (let i = 0; i < 3; i++) {
      const at = state.openUntil!;
      state = run(
        [
          { type: 'probe_started', messageId: `p${i}`, at },
          { type: 'probe_result', messageId: `p${i}`, ok: false, category: 'provider_block', at },
        ],
        options,
        state,
      ).state;
      periods.push(state.openPeriodMs / MIN);
    }
    expect(periods).toEqual([20, 25, 25]);
  });

  it('ignores probe events while closed (stale ones from an earlier half_open)', () => {
    for (const event of [probe('p', 1), probeOk('p', 1), probeFailed('p', 1, 'provider_block')]) {
      expect(transitionCircuit(initialCircuit(FAMILY), event)).toEqual({ state: initialCircuit(FAMILY), changed: false });
    }
  });
});

describe('transitionCircuit: manual pause', () => {
  it('pauses a closed family indefinitely, ignores all traffic, and resume closes it', () => {
    const paused = transitionCircuit(initialCircuit(FAMILY), { type: 'pause', by: 'supervisor:anna', at: t(0) });
    expect(paused.effect).toBe('opened');
    expect(paused.state).toStrictEqual({
      family: FAMILY,
      state: 'open',
      openedAt: t(0),
      openPeriodMs: 15 * MIN,
      rateLimitHits: [],
      failedProbes: 0,
      pausedBy: 'supervisor:anna',
    });

    const aYearLater = t(365 * 24 * 60);
    for (const event of [
      { type: 'tick', at: aYearLater },
      { type: 'reply', category: 'provider_block', at: aYearLater },
      { type: 'probe_started', messageId: 'p', at: aYearLater },
      { type: 'probe_result', messageId: 'p', ok: true, at: aYearLater },
      { type: 'accepted', messageId: 'p', at: aYearLater },
      { type: 'pause', by: 'someone-else', at: aYearLater },
    ] satisfies CircuitEvent[]) {
      expect(transitionCircuit(paused.state, event)).toEqual({ state: paused.state, changed: false });
    }
    expect(mayAttempt(paused.state, aYearLater, 'p')).toBe(false);

    const resumed = transitionCircuit(paused.state, { type: 'resume', by: 'supervisor:anna', at: aYearLater });
    expect(resumed.effect).toBe('closed');
    expect(resumed.state).toStrictEqual(initialCircuit(FAMILY));
    expect(mayAttempt(resumed.state, aYearLater)).toBe(true);
  });

  it('pausing an automatically opened family makes it indefinite but keeps when it opened', () => {
    const open = run([reply('provider_block', 0)]).state;
    const paused = transitionCircuit(open, { type: 'pause', by: 'sup', at: t(5) });
    expect(paused.effect).toBeUndefined();
    expect(paused.changed).toBe(true);
    expect(paused.state.openUntil).toBeUndefined();
    expect(paused.state.openedAt).toBe(t(0));
    expect(transitionCircuit(paused.state, tick(60)).state.state).toBe('open');
  });

  it('pausing during half_open cancels the probe', () => {
    const probing = run([reply('provider_block', 0), probe('p', 15)]).state;
    const paused = transitionCircuit(probing, { type: 'pause', by: 'sup', at: t(15.5) });
    expect(paused.effect).toBe('opened');
    expect(paused.state).toMatchObject({ state: 'open', pausedBy: 'sup', openedAt: t(15.5) });
    expect(paused.state.probeMessageId).toBeUndefined();
    expect(mayAttempt(paused.state, t(15.5), 'p')).toBe(false);
  });

  it('resume also ends an automatic opening, and does nothing to a closed family', () => {
    const open = run([reply('provider_block', 0), tick(15), probe('p', 15), probeFailed('p', 16, 'provider_block')]).state;
    const resumed = transitionCircuit(open, { type: 'resume', by: 'sup', at: t(20) });
    expect(resumed.effect).toBe('closed');
    expect(resumed.state).toStrictEqual(initialCircuit(FAMILY));
    expect(transitionCircuit(initialCircuit(FAMILY), { type: 'resume', by: 'sup', at: t(0) })).toEqual({
      state: initialCircuit(FAMILY),
      changed: false,
    });
  });
});

describe('mayAttempt', () => {
  const open = run([reply('provider_block', 0)]).state;
  const probing = run([reply('provider_block', 0), probe('p', 15)]).state;
  const cases: Array<[string, CircuitState, number, string | undefined, boolean]> = [
    ['closed', initialCircuit(FAMILY), t(0), 'm', true],
    ['closed, no message named', initialCircuit(FAMILY), t(0), undefined, true],
    ['open, before openUntil', open, t(14.99), 'm', false],
    ['open, openUntil passed but no tick stored yet: a probe may go', open, t(15), 'm', true],
    ['half_open with a running probe, another message', probing, t(16), 'm', false],
    ['half_open with a running probe, the probe itself', probing, t(16), 'p', true],
    ['half_open with an overdue probe, another message', probing, t(17), 'm', true],
    ['invalid time', initialCircuit(FAMILY), Number.NaN, 'm', false],
  ];
  it.each(cases)('%s', (_name, state, at, messageId, expected) => {
    expect(mayAttempt(state, at, messageId)).toBe(expected);
  });
});

describe('transitionCircuit: contract', () => {
  it('never mutates the state passed in, and the result survives a JSON round trip (it is stored as JSON)', () => {
    const events: CircuitEvent[] = [
      reply('rate_limit', 0),
      reply('rate_limit', 1),
      reply('rate_limit', 2),
      tick(17),
      probe('p', 17),
      probeFailed('p', 18, 'rate_limit'),
      { type: 'pause', by: 'sup', at: t(19) },
      { type: 'resume', by: 'sup', at: t(20) },
    ];
    let state = deepFreeze(initialCircuit(FAMILY));
    for (const event of events) {
      const snapshot = JSON.stringify(state);
      const next = transitionCircuit(state, event).state;
      expect(JSON.stringify(state)).toBe(snapshot);
      expect(JSON.parse(JSON.stringify(next))).toStrictEqual(next);
      state = deepFreeze(next);
    }
  });

  it('reports changed=false exactly when nothing changed', () => {
    const s = initialCircuit(FAMILY);
    expect(transitionCircuit(s, tick(0))).toEqual({ state: s, changed: false });
    expect(transitionCircuit(s, reply('rate_limit', 0)).changed).toBe(true);
  });

  it('refuses an event without a valid time and nonsensical options', () => {
    expect(() => transitionCircuit(initialCircuit(FAMILY), { type: 'tick', at: Number.NaN })).toThrow(RangeError);
    expect(() => transitionCircuit(initialCircuit(FAMILY), tick(0), { rateLimitThreshold: 0 })).toThrow(RangeError);
    expect(() => transitionCircuit(initialCircuit(FAMILY), tick(0), { initialOpenMs: 10 * MIN, maxOpenMs: 5 * MIN })).toThrow(
      RangeError,
    );
    expect(() => initialCircuit(FAMILY, { probeTimeoutMs: Number.NaN })).toThrow(RangeError);
  });

  it('treats options given as undefined as defaults', () => {
    expect(run([reply('provider_block', 0)], { initialOpenMs: undefined }).state.openUntil).toBe(t(15));
  });
});
