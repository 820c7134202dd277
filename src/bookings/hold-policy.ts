import { DateTime } from 'luxon';
import { isDeliveredMailState, type DeliveryEvidence, type OutboxState } from '../outbox/outbox-states';
import { initialHoldUntil, type ExpiryReason } from './booking-state';

/**
 * How long a pending booking holds its slot, as one pure decision: the booking, the delivery
 * facts of its confirmation messages and the clock go in, the end of the hold and the reason
 * come out. No I/O; the caller reads the facts, calls this, and writes `holdUntil` back.
 *
 * Why this exists: a hold that starts when the booking is made punishes the citizen for our
 * mail problems. If GMX refuses our IP for six hours, a 60-minute hold expires before the
 * confirmation link can even be read. So the confirmation window starts when the message
 * reached the citizen's side, and until then the hold keeps moving, up to a hard limit that
 * protects the office (other citizens need the slot, the office needs to know who comes).
 *
 * The rules, precisely (W = confirmWindowMinutes, all comparisons on instants):
 *
 * 1. Delivered. A message counts as delivered, at a time `t`, when
 *    - email, state `accepted`, at `deliveredAt` (`acceptedAt` for a row without it): the
 *      recipient's MX said 250 (direct delivery), a report from our relay said delivered (or
 *      relayed to a next hop without reports), or the relay cannot report and the transit rule
 *      counted it delivered RELAY_TRANSIT_MINUTES after the relay's 250. A later `delayed` or
 *      `failed` report moves the state away from `accepted`, so the state alone tells;
 *    - SMS with `deliveredAt` (a handset delivery report; nothing after that can undo it).
 *    Every other state (queued, sending, deferred, held_provider_blocked, in_transit, delayed,
 *    bounced, failed, cancelled) is not delivered, whatever the reason. `in_transit` is our
 *    relay's 250 with no report yet: the mail may sit in the relay's queue for days (Mülheim,
 *    2021), so the hold waits as for a held mail. A permanent failure (bad address) still leaves
 *    staff or the citizen time to give another address or a phone number.
 * 2. Base. Delivered: latest delivery `t` + W (every delivered confirmation promises a full
 *    window, so a resend that arrives later gives a later end). Not delivered: now + W, so the
 *    hold keeps moving while nothing can be read and the citizen always gets at least W after
 *    the mail finally arrives. Except when the address itself is bad: every message is an e-mail
 *    that bounced (the mailbox does not exist) or an SMS that failed, none still on its way; then
 *    latest bounce + W. Waiting would hold the slot for nothing (and `a+1@…` bookings that bounce
 *    would hoard slots for days); the citizen has W to give another address or a phone, which
 *    puts a message on its way again, and staff may extend. A provider block still extends.
 * 3. Target = max(currentHoldUntil, base, goodwillUntil). The hold is never shortened by this
 *    rule: once told "bis 11:00", the citizen keeps 11:00 even if a later look at the facts
 *    would give less (e.g. a mail the transit rule counted delivered, then delayed by a report:
 *    the window it started is not taken back).
 * 4. Upper limit = min(max(holdStartedAt + holdMaxHours, goodwillUntil), slotStartsAt −
 *    confirmCutoffMinutes). Staff goodwill may pass HOLD_MAX_HOURS but never the cutoff before
 *    the slot: after the cutoff the office must know who comes, goodwill or not.
 * 5. holdUntil = min(target, upper limit). The limit is hard: it wins even over a current hold
 *    that is later (e.g. set by `initialHoldUntil`, which cuts at the slot start, not at the
 *    cutoff). With fixed settings and goodwill the limit does not move, so after the first
 *    decision the result is monotonic: never earlier than the current hold.
 *
 * The result may lie in the past (delivered long ago, or the limit has passed): the booking is
 * then due to expire. Callers should recompute right before deciding to expire, because a
 * stored hold goes stale while a mail is stuck (the rule would have moved it).
 */

export type MessageChannel = 'email' | 'sms';
export type MessageState = OutboxState;

export interface HoldMessage {
  channel: MessageChannel;
  state: MessageState;
  /** When a server (relay, MX, SMS gateway) said 250. */
  acceptedAt?: DateTime | null;
  acceptedBy?: 'relay' | 'mx' | null;
  /** When it reached the recipient's side (e-mail: MX 250, report or transit rule; SMS: handset report). */
  deliveredAt?: DateTime | null;
  /** E-mail: what proved the delivery. */
  evidence?: DeliveryEvidence | null;
  /** When it bounced or failed for good. */
  failedAt?: DateTime | null;
}

export interface HoldSettings {
  confirmWindowMinutes: number;
  holdMaxHours: number;
  confirmCutoffMinutes: number;
}

export interface HoldInput {
  now: DateTime;
  /** When this hold started: the booking was made, or a clerk reinstated it. */
  holdStartedAt: DateTime;
  slotStartsAt: DateTime;
  currentHoldUntil: DateTime;
  /** An explicit extension granted by staff; may pass HOLD_MAX_HOURS, never the slot cutoff. */
  goodwillUntil?: DateTime | null;
  messages: ReadonlyArray<HoldMessage>;
  settings: HoldSettings;
}

/**
 * How the latest delivery is known: the MX's 250 (`email_mx`), our relay's report (`email_report`),
 * our relay's 250 and the transit rule, or an acceptance from before reports were asked for
 * (`email_relay`, the weakest claim), an SMS handset report (`sms`).
 */
export type DeliveredVia = 'email_mx' | 'email_report' | 'email_relay' | 'sms';

/**
 * What decided the end of the hold:
 * - window_from_delivery  latest delivery + window;
 * - waiting_for_delivery  nothing delivered: now + window, moves on with every decision;
 * - window_from_bounce    the address is bad (bounced, nothing else on its way): bounce + window;
 * - kept_previous_hold    the current hold was already later than the rule gives now;
 * - goodwill              staff goodwill: as the later end, or as the limit it raised;
 * - capped_by_max_hold    holdStartedAt + HOLD_MAX_HOURS;
 * - capped_by_slot_start  slot start − CONFIRM_CUTOFF_MINUTES.
 */
export type HoldReason =
  | 'window_from_delivery'
  | 'waiting_for_delivery'
  | 'window_from_bounce'
  | 'kept_previous_hold'
  | 'goodwill'
  | 'capped_by_max_hold'
  | 'capped_by_slot_start';

export interface HoldDecision {
  /** UTC. */
  holdUntil: DateTime;
  reason: HoldReason;
  delivered: boolean;
  /** Latest delivery, when delivered. */
  deliveredAt?: DateTime;
  deliveredVia?: DeliveredVia;
  /** When nothing is delivered: since the hold started (its first confirmation is queued then). */
  undeliveredSince?: DateTime;
  /** The latest the hold can ever reach with these settings and this goodwill (UTC). */
  upperLimit: DateTime;
  windowMinutes: number;
  /** The `now` of the decision, so an explanation can tell "today" from other days. */
  decidedAt: DateTime;
}

interface Delivery {
  at: DateTime;
  via: DeliveredVia;
}

function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** Whether and when one message reached the citizen's side. */
function deliveryOf(message: HoldMessage): Delivery | undefined {
  switch (message.channel) {
    case 'email':
      return emailDelivery(message);
    case 'sms':
      // A delivery report comes from the handset's network: the text is on the phone, and no
      // later state of ours changes that.
      return message.deliveredAt ? { at: message.deliveredAt, via: 'sms' } : undefined;
    default:
      return assertNever(message.channel);
  }
}

function emailDelivery(message: HoldMessage): Delivery | undefined {
  // "Delivered" has one definition (isDeliveredMailState), which the SQL of the review queue and
  // the SMS fallback is built from too. Without a time there is no window to start; the database
  // makes an accepted mail carry one, so that only guards against a half-written fact.
  const at = message.deliveredAt ?? message.acceptedAt;
  if (!isDeliveredMailState(message.state) || !at) return undefined;
  return { at, via: emailVia(message) };
}

function emailVia(message: HoldMessage): DeliveredVia {
  switch (message.evidence) {
    case 'report':
      return 'email_report';
    case 'smtp':
      return 'email_mx';
    case 'transit_rule':
    case 'before_reports':
      return 'email_relay';
    case null:
    case undefined:
      // An unknown proof is read from the acceptor; an unknown acceptor as the relay, the weaker claim.
      return message.acceptedBy === 'mx' ? 'email_mx' : 'email_relay';
    default:
      return assertNever(message.evidence);
  }
}

/** The latest delivery over all channels; undefined when nothing reached the citizen. */
function latestDelivery(messages: ReadonlyArray<HoldMessage>): Delivery | undefined {
  let latest: Delivery | undefined;
  for (const message of messages) {
    const delivery = deliveryOf(message);
    if (delivery && (!latest || delivery.at.toMillis() > latest.at.toMillis())) latest = delivery;
  }
  return latest;
}

/**
 * The latest bounce when the address itself is bad: at least one e-mail bounced, and every other
 * message (withdrawn ones aside) bounced too or is an SMS that failed. Undefined while anything is
 * still on its way, or when a failure was not the address's (a `failed` e-mail may be ours).
 */
function addressBounced(messages: ReadonlyArray<HoldMessage>): DateTime | undefined {
  let latest: DateTime | undefined;
  let bounced = false;
  for (const message of messages) {
    if (message.state === 'cancelled') continue;
    const final =
      (message.channel === 'email' && message.state === 'bounced') || (message.channel === 'sms' && message.state === 'failed');
    if (!final || !message.failedAt) return undefined;
    if (message.channel === 'email') bounced = true;
    if (!latest || message.failedAt.toMillis() > latest.toMillis()) latest = message.failedAt;
  }
  return bounced ? latest : undefined;
}

/** The hard limit and the name of what sets it. */
function upperLimitOf(input: HoldInput): { at: DateTime; reason: HoldReason } {
  const { holdStartedAt, slotStartsAt, goodwillUntil, settings } = input;
  const maxHold = holdStartedAt.plus({ hours: settings.holdMaxHours });
  const slotCutoff = slotStartsAt.minus({ minutes: settings.confirmCutoffMinutes });
  // Goodwill may lift the limit past HOLD_MAX_HOURS (but only up to itself)...
  const soft: { at: DateTime; reason: HoldReason } =
    goodwillUntil && goodwillUntil.toMillis() > maxHold.toMillis()
      ? { at: goodwillUntil, reason: 'goodwill' }
      : { at: maxHold, reason: 'capped_by_max_hold' };
  // ...never past the cutoff before the slot. On a tie the slot is named: it is the harder limit.
  return slotCutoff.toMillis() <= soft.at.toMillis() ? { at: slotCutoff, reason: 'capped_by_slot_start' } : soft;
}

export function computeHold(input: HoldInput): HoldDecision {
  const { now, holdStartedAt, currentHoldUntil, goodwillUntil, settings } = input;
  const window = { minutes: settings.confirmWindowMinutes };
  const delivery = latestDelivery(input.messages);
  const limit = upperLimitOf(input);

  // Candidates in order of precedence on a tie, so a repeated decision on the same facts names
  // the same reason (the rule before the goodwill before what was stored).
  const bounce = delivery ? undefined : addressBounced(input.messages);
  let target: { at: DateTime; reason: HoldReason } = delivery
    ? { at: delivery.at.plus(window), reason: 'window_from_delivery' }
    : bounce
      ? { at: bounce.plus(window), reason: 'window_from_bounce' }
      : { at: now.plus(window), reason: 'waiting_for_delivery' };
  if (goodwillUntil && goodwillUntil.toMillis() > target.at.toMillis()) target = { at: goodwillUntil, reason: 'goodwill' };
  if (currentHoldUntil.toMillis() > target.at.toMillis()) target = { at: currentHoldUntil, reason: 'kept_previous_hold' };

  // Reaching the limit exactly also names the limit: the hold cannot move any further.
  const final = target.at.toMillis() >= limit.at.toMillis() ? limit : target;

  const decision: HoldDecision = {
    holdUntil: final.at.toUTC(),
    reason: final.reason,
    delivered: delivery !== undefined,
    upperLimit: limit.at.toUTC(),
    windowMinutes: settings.confirmWindowMinutes,
    decidedAt: now.toUTC(),
  };
  if (delivery) {
    decision.deliveredAt = delivery.at.toUTC();
    decision.deliveredVia = delivery.via;
  } else {
    decision.undeliveredSince = holdStartedAt.toUTC();
  }
  return decision;
}

/**
 * Why a pending booking expired: `mail_undelivered` when no channel ever delivered the
 * confirmation (the citizen never had a chance to click), else `not_confirmed`.
 */
export function expiryReasonFor(input: HoldInput): ExpiryReason {
  return latestDelivery(input.messages) ? 'not_confirmed' : 'mail_undelivered';
}

export interface HoldOutcome {
  decision: HoldDecision;
  /** What is stored: the decision's end, or the promised window when that is later. */
  holdUntil: DateTime;
  /** Why the booking expires when `holdUntil` is not after now. */
  expiryReason: ExpiryReason;
}

/**
 * What a booking's hold becomes, as the app stores it: the decision, except that a booking made
 * (or reinstated) at short notice keeps the window it was promised (`initialHoldUntil`, cut at the
 * slot start), even where the cutoff leaves no room for extensions; and the reason should it expire.
 * The sweeper decides the same in SQL (`BookingsRepository.holdDecisions`); a test holds the two equal.
 */
export function holdOutcome(input: HoldInput): HoldOutcome {
  const decision = computeHold(input);
  const promised = initialHoldUntil(input.holdStartedAt, input.slotStartsAt, input.settings.confirmWindowMinutes);
  const holdUntil = decision.holdUntil < promised ? promised : decision.holdUntil;
  return { decision, holdUntil, expiryReason: expiryReasonFor(input) };
}

/** A time as a phrase, with the German article its preposition takes before a date. */
type When = (article: 'zum' | 'dem') => string;
interface HoldTexts {
  time(local: DateTime): string;
  onDay(local: DateTime, time: string, article: 'zum' | 'dem'): string;
  until(when: When): string;
  by(when: When): string;
  since(when: When): string;
  over: string;
  delivered(by: string, sms: boolean): string;
  bounced(until: string): string;
  providerRefuses(label: string, since?: string): string;
  trying(since: string): string;
  notYet: string;
  heldUntil(until: string): string;
  heldWhileWaiting(minutes: number, latest: string): string;
}

/** The sentences of explainHold in each language the citizen pages speak. */
const HOLD_TEXTS: Record<'de' | 'en', HoldTexts> = {
  de: {
    time: (local) => `${local.toFormat('HH:mm')} Uhr`,
    onDay: (local, time, article) => `${article} ${local.toFormat('dd.MM.yyyy')} um ${time}`,
    until: (when) => `bis ${when('zum')}`,
    by: (when) => `bis ${when('zum')}`,
    since: (when) => `seit ${when('dem')}`,
    over: 'Die Frist zur Bestätigung Ihres Termins ist abgelaufen.',
    delivered: (by: string, sms: boolean) =>
      `Bitte bestätigen Sie Ihren Termin ${by} über den Link in der ${sms ? 'SMS' : 'E-Mail'}.`,
    bounced: (until: string) =>
      `Ihre E-Mail-Adresse ist nicht erreichbar: die Nachricht mit dem Bestätigungslink kam als unzustellbar zurück. Bitte geben Sie eine andere Adresse oder eine Telefonnummer an – wir halten Ihren Termin ${until}.`,
    providerRefuses: (label: string, since?: string) =>
      `Ihr E-Mail-Anbieter (${label}) nimmt unsere Nachrichten ${since ?? 'zurzeit'} nicht an.`,
    trying: (since: string) => `Wir versuchen ${since}, Ihnen die E-Mail mit dem Bestätigungslink zuzustellen.`,
    notYet: 'Die E-Mail mit dem Bestätigungslink ist noch nicht bei Ihnen angekommen.',
    heldUntil: (until: string) => `Wir halten Ihren Termin ${until}.`,
    heldWhileWaiting: (minutes: number, latest: string) =>
      `Wir halten Ihren Termin, bis die Nachricht ankommt, und geben Ihnen dann ${minutes} Minuten Zeit zum Bestätigen – längstens ${latest}.`,
  },
  en: {
    time: (local) => local.toFormat('HH:mm'),
    onDay: (local, time) => `${local.setLocale('en-GB').toFormat('d MMMM yyyy')} at ${time}`,
    until: (when) => `until ${when('zum')}`,
    by: (when) => `by ${when('zum')}`,
    since: (when) => `since ${when('dem')}`,
    over: 'The time to confirm your appointment has run out.',
    delivered: (by: string, sms: boolean) =>
      `Please confirm your appointment ${by} using the link in the ${sms ? 'text message' : 'e-mail'}.`,
    bounced: (until: string) =>
      `Your e-mail address cannot be reached: the message with the confirmation link came back as undeliverable. Please give another address or a phone number – we are holding your appointment ${until}.`,
    providerRefuses: (label: string, since?: string) =>
      since
        ? `Your e-mail provider (${label}) has not been accepting our messages ${since}.`
        : `Your e-mail provider (${label}) is not accepting our messages at the moment.`,
    trying: (since: string) => `We have been trying ${since} to deliver the e-mail with the confirmation link to you.`,
    notYet: 'The e-mail with the confirmation link has not reached you yet.',
    heldUntil: (until: string) => `We are holding your appointment ${until}.`,
    heldWhileWaiting: (minutes: number, latest: string) =>
      `We are holding your appointment until the message arrives, and then give you ${minutes} minutes to confirm – at the latest ${latest}.`,
  },
};

/**
 * One or two sentences for the citizen, in German or English, times in the office's zone. The
 * date is added when the time is not on the day of the decision (in that zone), so "bis 09:30
 * Uhr" never means tomorrow morning by surprise.
 */
export function explainHold(
  decision: HoldDecision,
  opts: { zone: string; lang?: 'de' | 'en'; familyLabel?: string; undeliveredSince?: DateTime },
): string {
  const t = HOLD_TEXTS[opts.lang ?? 'de'];
  const today = decision.decidedAt.setZone(opts.zone);
  const at =
    (instant: DateTime): When =>
    (article) => {
      const local = instant.setZone(opts.zone);
      const time = t.time(local);
      return local.hasSame(today, 'day') ? time : t.onDay(local, time, article);
    };

  if (decision.holdUntil.toMillis() <= decision.decidedAt.toMillis()) return t.over;

  if (decision.delivered) return t.delivered(t.by(at(decision.holdUntil)), decision.deliveredVia === 'sms');

  if (decision.reason === 'window_from_bounce') return t.bounced(t.until(at(decision.holdUntil)));

  const undeliveredSince = opts.undeliveredSince ?? decision.undeliveredSince;
  const since = undeliveredSince ? t.since(at(undeliveredSince)) : undefined;
  const problem = opts.familyLabel ? t.providerRefuses(opts.familyLabel, since) : since ? t.trying(since) : t.notYet;
  // At the limit the end is fixed; below it the end still moves while nothing arrives, so the
  // citizen is told the rule and the latest end rather than a time that will change.
  const hold =
    decision.holdUntil.toMillis() >= decision.upperLimit.toMillis()
      ? t.heldUntil(t.until(at(decision.holdUntil)))
      : t.heldWhileWaiting(decision.windowMinutes, t.until(at(decision.upperLimit)));
  return `${problem} ${hold}`;
}
