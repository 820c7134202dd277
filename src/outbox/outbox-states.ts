/**
 * Where a message is, and the named sets of states that SQL and the pure decisions share. Every
 * statement builds its state lists from these constants (`sqlList`), so a set is defined once.
 */
export const OUTBOX_STATES = [
  'queued',
  'sending',
  'deferred',
  'held_provider_blocked',
  'in_transit',
  'accepted',
  'delayed',
  'bounced',
  'failed',
  'cancelled',
] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/**
 * What proved that a message reached the recipient's side (`delivered_at`): `smtp` the recipient's
 * MX (or the development mailbox) said 250; `report` a delivery report (DSN `delivered` or
 * `relayed`, a webhook, the SMS gateway's handset report); `transit_rule` our relay cannot report
 * and RELAY_TRANSIT_MINUTES passed since its 250; `before_reports` a relay acceptance from before
 * holdfast asked for success reports (counted as delivered at the 250, as it was then).
 */
export const DELIVERY_EVIDENCE = ['smtp', 'report', 'transit_rule', 'before_reports'] as const;
export type DeliveryEvidence = (typeof DELIVERY_EVIDENCE)[number];

export type AttemptOutcome = 'accepted' | 'deferred' | 'held' | 'bounced' | 'failed' | 'lease_expired';

/** Not handed over yet and not on its way: may still be withdrawn (booking cancelled, expired, address changed). */
export const UNSENT = ['queued', 'deferred', 'held_provider_blocked'] as const satisfies readonly OutboxState[];

/** Waiting to be tried (when due): what a claim takes. */
export const DUE = ['queued', 'deferred'] as const satisfies readonly OutboxState[];

/** What a provider family still has to deliver: the providers view counts these. */
export const WAITING = ['queued', 'deferred', 'held_provider_blocked', 'delayed'] as const satisfies readonly OutboxState[];

/** Accepted by a server and not reported undeliverable: delivery reports apply only to these. */
export const HANDED_OVER = ['in_transit', 'accepted', 'delayed'] as const satisfies readonly OutboxState[];

/**
 * Whether a confirmation mail in this state is in the recipient's mailbox, as far as we know: the
 * hold policy's "delivered" (hold-policy.ts) for e-mail. Exhaustive, so a new state must be decided.
 */
export function isDeliveredMailState(state: OutboxState): boolean {
  switch (state) {
    // On the recipient's side: their MX said 250 (direct delivery), a report from our relay said
    // delivered (or relayed to a next hop that gives no reports), or the relay cannot report and
    // RELAY_TRANSIT_MINUTES have passed since its 250 (`delivery_evidence` tells which).
    case 'accepted':
      return true;
    // Our relay said 250 and no report has come yet: in its queue as far as we know, as Mülheim's
    // mail was in 2021. The hold waits as for a held mail.
    case 'in_transit':
      return false;
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

/**
 * The circuit of our own sending path: our relay (relay mode) or our DNS resolver (direct mode),
 * open while it cannot be reached. It is kept with the provider families' circuits, but no
 * message belongs to it; while it is open nothing is claimed.
 */
export const OUR_RELAY_CIRCUIT = 'our-relay';

/** Messages that confirm a booking (the mail and its SMS fallback). */
export const CONFIRMATION_KINDS = ['booking_confirmation', 'sms_confirmation'] as const;

/** `('a', 'b')` for SQL from a constant list of identifiers-like values (never user input). */
export function sqlList(values: readonly string[]): string {
  for (const value of values) if (!/^[a-z_]+$/.test(value)) throw new Error(`not a state name: ${value}`);
  return `(${values.map((v) => `'${v}'`).join(', ')})`;
}
