/**
 * Where a message is, and the named sets of states that SQL and the pure decisions share. Every
 * statement builds its state lists from these constants (`sqlList`), so a set is defined once.
 */
export const OUTBOX_STATES = [
  'queued',
  'sending',
  'deferred',
  'held_provider_blocked',
  'accepted',
  'delayed',
  'bounced',
  'failed',
  'cancelled',
] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export type AttemptOutcome = 'accepted' | 'deferred' | 'held' | 'bounced' | 'failed' | 'lease_expired';

/** Not handed over yet and not on its way: may still be withdrawn (booking cancelled, expired, address changed). */
export const UNSENT = ['queued', 'deferred', 'held_provider_blocked'] as const satisfies readonly OutboxState[];

/** Waiting to be tried (when due): what a claim takes. */
export const DUE = ['queued', 'deferred'] as const satisfies readonly OutboxState[];

/** What a provider family still has to deliver: the providers view counts these. */
export const WAITING = ['queued', 'deferred', 'held_provider_blocked', 'delayed'] as const satisfies readonly OutboxState[];

/** Accepted by a server and not reported undeliverable: delivery reports apply only to these. */
export const HANDED_OVER = ['accepted', 'delayed'] as const satisfies readonly OutboxState[];

/**
 * Whether a confirmation mail in this state is in the recipient's mailbox, as far as we know: the
 * hold policy's "delivered" (hold-policy.ts) for e-mail. Exhaustive, so a new state must be decided.
 */
export function isDeliveredMailState(state: OutboxState): boolean {
  switch (state) {
    // A server said 250: the recipient's MX, or our relay while no later report contradicts it
    // (a `delayed` or `failed` report moves the state away from `accepted`).
    case 'accepted':
      return true;
    // Still on its way: the citizen cannot read it yet.
    case 'queued':
    case 'sending':
    case 'deferred':
    case 'held_provider_blocked':
    // A delay report says it is not in the mailbox, even after an MX said 250 (a gateway behind
    // the MX can still queue it); the citizen gets the longer hold rather than a lapsed one.
    case 'delayed':
      return false;
    // Will not arrive; the hold still waits: a new address or an SMS can still reach them.
    case 'bounced':
    case 'failed':
    case 'cancelled':
      return false;
  }
}

export const DELIVERED = OUTBOX_STATES.filter(isDeliveredMailState);

/** Not delivered and not withdrawn: the citizen is still waiting for this mail (the review queue's "held for mail"). */
export const UNDELIVERED = OUTBOX_STATES.filter((s) => !isDeliveredMailState(s) && s !== 'cancelled');

/** Cannot arrive now (held, delayed, or given up): the SMS fallback's trigger. Queued or retrying mail is still on its way. */
export const STUCK = ['held_provider_blocked', 'delayed', 'bounced', 'failed'] as const satisfies readonly OutboxState[];

/** Messages that confirm a booking (the mail and its SMS fallback). */
export const CONFIRMATION_KINDS = ['booking_confirmation', 'sms_confirmation'] as const;

/** `('a', 'b')` for SQL from a constant list of identifiers-like values (never user input). */
export function sqlList(values: readonly string[]): string {
  for (const value of values) if (!/^[a-z_]+$/.test(value)) throw new Error(`not a state name: ${value}`);
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}
