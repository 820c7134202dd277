import { OUR_RELAY_CIRCUIT } from '../outbox/outbox-states';
import type { ProviderFamily } from './provider-families';
import type { ReplyCategory } from './smtp-reply-classifier';

/**
 * Circuit breaker per provider family, as a pure state machine: a state and an event go in, the
 * next state comes out. A service keeps the state in PostgreSQL (so it is a plain JSON object:
 * epoch milliseconds, no Date, no class, absent fields left out rather than `undefined`) and
 * applies events under a row lock, which is what makes "exactly one probe" hold across workers.
 *
 * closed     mail goes out normally.
 * open       nothing goes out until `openUntil` (or, when paused by a supervisor, until resume).
 * half_open  `openUntil` has passed: one message, the probe, may go to test the provider.
 *
 * Why per family: GMX, Web.de, mail.com and IONOS share one block list, so hammering web.de
 * while gmx.de blocks our IP only deepens the block.
 */

export type CircuitPhase = 'closed' | 'open' | 'half_open';

export interface CircuitState {
  family: ProviderFamily;
  state: CircuitPhase;
  openedAt?: number;
  /** Absent while open means open indefinitely (a manual pause). */
  openUntil?: number;
  /** How long the next opening lasts; doubles with every failed probe. */
  openPeriodMs: number;
  /** Epoch ms of recent rate-limit replies, ascending; only the last `rateLimitThreshold` are kept. */
  rateLimitHits: number[];
  probeMessageId?: string;
  probeStartedAt?: number;
  failedProbes: number;
  /** Who paused the family by hand; while set, only `resume` changes anything. */
  pausedBy?: string;
}

export type CircuitEvent =
  /** A classified SMTP reply (or DSN) for a message of this family. */
  | { type: 'reply'; category: ReplyCategory; at: number }
  | { type: 'accepted'; at: number; messageId: string }
  | { type: 'probe_started'; messageId: string; at: number }
  /** `category` is the classification of the probe's failure; without it a failure gives no verdict. */
  | { type: 'probe_result'; messageId: string; ok: boolean; category?: ReplyCategory; at: number }
  | { type: 'pause'; by: string; at: number }
  | { type: 'resume'; by: string; at: number }
  | { type: 'tick'; at: number };

export type CircuitEffect = 'opened' | 'closed' | 'half_opened' | 'reopened';

export interface CircuitTransition {
  state: CircuitState;
  /** Whether the state differs from the one passed in, i.e. whether it must be stored. */
  changed: boolean;
  /** The change of phase worth logging or alerting on, if any. */
  effect?: CircuitEffect;
}

export interface CircuitOptions {
  /** Rate-limit replies within `rateLimitWindowMs` that open the circuit. */
  rateLimitThreshold: number;
  rateLimitWindowMs: number;
  /** First open period; also what a successful probe resets the period to. */
  initialOpenMs: number;
  /** Cap of the doubling. */
  maxOpenMs: number;
  /** A probe without a result after this long may be replaced by another message. */
  probeTimeoutMs: number;
}

const MINUTE = 60 * 1000;

export const DEFAULT_CIRCUIT_OPTIONS: Readonly<CircuitOptions> = Object.freeze({
  rateLimitThreshold: 3,
  rateLimitWindowMs: 10 * MINUTE,
  initialOpenMs: 15 * MINUTE,
  maxOpenMs: 4 * 60 * MINUTE,
  probeTimeoutMs: 2 * MINUTE,
});

/**
 * Our own relay's circuit (relay mode): a relay restarts in seconds, so it opens for 30 seconds at
 * first, doubling per failed probe up to 5 minutes, and its probe gets 30 seconds to answer.
 */
export const OUR_RELAY_CIRCUIT_OPTIONS: Readonly<Partial<CircuitOptions>> = Object.freeze({
  initialOpenMs: 30 * 1000,
  maxOpenMs: 5 * MINUTE,
  probeTimeoutMs: 30 * 1000,
});

/** The options of a circuit: our relay's own, the defaults for every provider family. */
export function circuitOptionsFor(family: string): Partial<CircuitOptions> | undefined {
  return family === OUR_RELAY_CIRCUIT ? OUR_RELAY_CIRCUIT_OPTIONS : undefined;
}

/** Categories that are evidence about the provider's attitude to us, not about one mailbox. */
const PROVIDER_CATEGORIES: ReadonlySet<ReplyCategory> = new Set<ReplyCategory>(['provider_block', 'rate_limit']);

function resolveOptions(options?: Partial<CircuitOptions>): CircuitOptions {
  const resolved: CircuitOptions = { ...DEFAULT_CIRCUIT_OPTIONS, ...stripUndefined(options ?? {}) };
  // Bad configuration would silently disable the breaker (NaN compares false everywhere), so refuse it.
  const positive: Array<keyof CircuitOptions> = [
    'rateLimitThreshold',
    'rateLimitWindowMs',
    'initialOpenMs',
    'maxOpenMs',
    'probeTimeoutMs',
  ];
  for (const key of positive) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0)
      throw new RangeError(`circuit option ${key} must be a positive number, got ${resolved[key]}`);
  }
  if (!Number.isInteger(resolved.rateLimitThreshold))
    throw new RangeError(`circuit option rateLimitThreshold must be an integer, got ${resolved.rateLimitThreshold}`);
  if (resolved.maxOpenMs < resolved.initialOpenMs)
    throw new RangeError('circuit option maxOpenMs must not be below initialOpenMs');
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function initialCircuit(family: ProviderFamily, options?: Partial<CircuitOptions>): CircuitState {
  return { family, state: 'closed', openPeriodMs: resolveOptions(options).initialOpenMs, rateLimitHits: [], failedProbes: 0 };
}

/** Closed with counters and period reset: a working provider starts over with a clean slate. */
function closedState(circuit: CircuitState, options: CircuitOptions): CircuitState {
  return { family: circuit.family, state: 'closed', openPeriodMs: options.initialOpenMs, rateLimitHits: [], failedProbes: 0 };
}

function openState(circuit: CircuitState, at: number, periodMs: number, failedProbes: number): CircuitState {
  return {
    family: circuit.family,
    state: 'open',
    openedAt: at,
    openUntil: at + periodMs,
    openPeriodMs: periodMs,
    rateLimitHits: [],
    failedProbes,
  };
}

/**
 * Rate-limit hits inside the window that ends at the latest time known, `at` or a later hit:
 * workers report out of order, and a late report must neither be dropped nor pull old hits back in.
 */
function recentHits(hits: ReadonlyArray<number>, at: number, options: CircuitOptions): number[] {
  const known = hits.filter((h) => Number.isFinite(h));
  const latest = Math.max(at, ...known);
  return (
    known
      .filter((h) => latest - h < options.rateLimitWindowMs)
      .sort((a, b) => a - b)
      // Only as many as it takes to open: the stored state stays bounded however hard a provider throttles.
      .slice(-options.rateLimitThreshold)
  );
}

function withoutProbe(circuit: CircuitState): CircuitState {
  const { probeMessageId: _probe, probeStartedAt: _started, ...rest } = circuit;
  return rest;
}

function probeIsStale(circuit: CircuitState, at: number, options: CircuitOptions): boolean {
  return circuit.probeStartedAt === undefined || at - circuit.probeStartedAt >= options.probeTimeoutMs;
}

/**
 * What time alone does: an expired open period becomes half_open, old rate-limit hits fall out of
 * the window. Applied before every event, so a missed tick never keeps a family closed off.
 */
function advanceTime(
  circuit: CircuitState,
  at: number,
  options: CircuitOptions,
): { state: CircuitState; effect?: CircuitEffect } {
  switch (circuit.state) {
    case 'closed': {
      const hits = recentHits(circuit.rateLimitHits, at, options);
      return { state: sameNumbers(hits, circuit.rateLimitHits) ? circuit : { ...circuit, rateLimitHits: hits } };
    }
    case 'open': {
      if (circuit.pausedBy !== undefined || circuit.openUntil === undefined || at < circuit.openUntil) return { state: circuit };
      return { state: { ...withoutProbe(circuit), state: 'half_open', rateLimitHits: [] }, effect: 'half_opened' };
    }
    case 'half_open':
      return { state: circuit };
    default:
      return assertNever(circuit.state);
  }
}

/** A reply while closed: only evidence about the provider counts toward opening. */
function applyReply(
  circuit: CircuitState,
  category: ReplyCategory,
  at: number,
  options: CircuitOptions,
): { state: CircuitState; effect?: CircuitEffect } {
  switch (category) {
    case 'provider_block':
      return { state: openState(circuit, at, circuit.openPeriodMs, circuit.failedProbes), effect: 'opened' };
    case 'rate_limit': {
      const hits = recentHits([...circuit.rateLimitHits, at], at, options);
      if (hits.length >= options.rateLimitThreshold)
        return { state: openState(circuit, at, circuit.openPeriodMs, circuit.failedProbes), effect: 'opened' };
      return { state: { ...circuit, rateLimitHits: hits } };
    }
    case 'greylist':
    case 'sender_config':
    case 'content_reject':
    case 'mailbox_unknown':
    case 'mailbox_full':
    case 'relay_limit':
    case 'network':
    case 'unknown_temporary':
    case 'unknown_permanent':
      // About one mailbox, one message, our own relay or our own setup: pausing the provider cannot help.
      return { state: circuit };
    default:
      return assertNever(category);
  }
}

/** The event applied to a state whose time is already advanced to the event's. */
function applyEvent(
  circuit: CircuitState,
  event: CircuitEvent,
  options: CircuitOptions,
): { state: CircuitState; effect?: CircuitEffect } {
  // A supervisor's pause outranks everything the mail traffic says, until they resume.
  if (circuit.pausedBy !== undefined && event.type !== 'resume') return { state: circuit };

  switch (event.type) {
    case 'tick':
      return { state: circuit };

    case 'pause': {
      const { openUntil: _indefinitely, ...rest } = withoutProbe(circuit);
      const openedAt = circuit.state === 'open' ? (circuit.openedAt ?? event.at) : event.at;
      const paused: CircuitState = { ...rest, state: 'open', openedAt, rateLimitHits: [], pausedBy: event.by };
      return { state: paused, effect: circuit.state === 'open' ? undefined : 'opened' };
    }

    case 'resume':
      // Resume is a supervisor's override: it also ends an automatic opening (e.g. after a delisting).
      return circuit.state === 'closed' ? { state: circuit } : { state: closedState(circuit, options), effect: 'closed' };

    case 'reply':
      // Only while closed: while open or half_open nothing but the probe is sent, and the probe's
      // outcome arrives as probe_result; replies from mail sent before the opening are old news.
      if (circuit.state !== 'closed') return { state: circuit };
      return applyReply(circuit, event.category, event.at, options);

    case 'accepted':
      // The probe's message was accepted: that is the probe succeeding, however it is reported.
      if (circuit.state === 'half_open' && circuit.probeMessageId === event.messageId)
        return { state: closedState(circuit, options), effect: 'closed' };
      return { state: circuit };

    case 'probe_started':
      if (circuit.state !== 'half_open') return { state: circuit };
      // The same probe announced again (a retry of the send) keeps its start time, so it cannot renew its lease forever.
      if (circuit.probeMessageId === event.messageId) return { state: circuit };
      // Another probe is running and not overdue: this one is refused (changed=false tells the caller it lost).
      if (circuit.probeMessageId !== undefined && !probeIsStale(circuit, event.at, options)) return { state: circuit };
      return { state: { ...circuit, probeMessageId: event.messageId, probeStartedAt: event.at } };

    case 'probe_result': {
      // Results of a replaced probe, or from before the last opening, do not count: one probe, one verdict.
      if (circuit.state !== 'half_open' || circuit.probeMessageId !== event.messageId) return { state: circuit };
      if (event.ok) return { state: closedState(circuit, options), effect: 'closed' };
      if (event.category === undefined) {
        // A failure without a reason is no verdict on the provider: free the slot for another probe.
        return { state: withoutProbe(circuit) };
      }
      if (PROVIDER_CATEGORIES.has(event.category)) {
        const period = Math.min(circuit.openPeriodMs * 2, options.maxOpenMs);
        return { state: openState(circuit, event.at, period, circuit.failedProbes + 1), effect: 'reopened' };
      }
      // The provider talked to us and judged the mailbox or the message, not our IP: it is open for business.
      return { state: closedState(circuit, options), effect: 'closed' };
    }

    default:
      return assertNever(event);
  }
}

export function transitionCircuit(
  state: CircuitState,
  event: CircuitEvent,
  options?: Partial<CircuitOptions>,
): CircuitTransition {
  const resolved = resolveOptions(options);
  // Time comes from the caller; NaN would make every comparison false and freeze the circuit.
  if (!Number.isFinite(event.at)) throw new RangeError(`circuit event ${event.type} has no valid time: ${event.at}`);
  const advanced = advanceTime(state, event.at, resolved);
  const applied = applyEvent(advanced.state, event, resolved);
  const effect = applied.effect ?? advanced.effect;
  const result: CircuitTransition = { state: applied.state, changed: !sameCircuit(state, applied.state) };
  if (effect) result.effect = effect;
  return result;
}

/**
 * Whether `messageId` (or, without one, some message) may be sent to this family at `at`.
 * In half_open the answer "yes" for a new message means "as the probe": the caller emits
 * probe_started and sends only if that transition changed the state (it lost the race otherwise).
 */
export function mayAttempt(state: CircuitState, at: number, messageId?: string, options?: Partial<CircuitOptions>): boolean {
  const resolved = resolveOptions(options);
  if (!Number.isFinite(at)) return false;
  const circuit = advanceTime(state, at, resolved).state;
  switch (circuit.state) {
    case 'closed':
      return true;
    case 'open':
      return false;
    case 'half_open':
      if (circuit.probeMessageId === undefined) return true;
      if (messageId !== undefined && messageId === circuit.probeMessageId) return true;
      return probeIsStale(circuit, at, resolved);
    default:
      return assertNever(circuit.state);
  }
}

const STATE_KEYS: ReadonlyArray<keyof CircuitState> = [
  'family',
  'state',
  'openedAt',
  'openUntil',
  'openPeriodMs',
  'probeMessageId',
  'probeStartedAt',
  'failedProbes',
  'pausedBy',
];

function sameCircuit(before: CircuitState, after: CircuitState): boolean {
  return STATE_KEYS.every((k) => before[k] === after[k]) && sameNumbers(before.rateLimitHits, after.rateLimitHits);
}

function sameNumbers(left: ReadonlyArray<number>, right: ReadonlyArray<number>): boolean {
  return left.length === right.length && left.every((v, i) => v === right[i]);
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
