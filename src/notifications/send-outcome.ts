import type { CircuitEvent } from '../mail-delivery/provider-circuit';
import type { AcceptanceRecord } from '../outbox/outbox.repository';
import { classifySmtpReply, ReplyCategory, replyFromNodemailerError } from '../mail-delivery/smtp-reply-classifier';

export interface SendVerdict {
  temporary: boolean;
  category: ReplyCategory;
  replyCode: number | null;
  reply: string;
  errorCode: string | null;
}

/**
 * What a failed send means: the reply classifier's verdict (provider rules, then text, then
 * the enhanced and the basic code). A 5xx that says the condition is temporary, or a block of
 * our IP, is retried; only evidence against the message or the mailbox is final. Pure.
 */
export function classifySendError(err: unknown): SendVerdict {
  const error = err as { code?: unknown; remoteHost?: unknown };
  const reply = replyFromNodemailerError(err);
  // Direct delivery names the MX that answered: its host name tells the provider.
  if (!reply.remoteHost && typeof error?.remoteHost === 'string') reply.remoteHost = error.remoteHost;
  const verdict = classifySmtpReply(reply);
  return {
    temporary: verdict.temporary || verdict.category === 'provider_block',
    category: verdict.category,
    replyCode: reply.code > 0 ? reply.code : null,
    reply: reply.text.slice(0, 2000),
    errorCode: typeof error?.code === 'string' ? error.code.slice(0, 40) : null,
  };
}

/** What a refused send becomes: held while the family is blocked, bounced, failed, or retried later. */
export type FailedSendOutcome = 'held' | 'bounced' | 'failed' | 'deferred';

/**
 * The circuit event a refusal is for its provider family: a probe's result, or a reply that
 * counts against the family (a block or a rate limit); none for replies about this one message.
 */
export function circuitEventOfRefusal(
  verdict: Pick<SendVerdict, 'category'>,
  message: { id: string; isProbe: boolean },
  at: number,
): CircuitEvent | undefined {
  if (message.isProbe) return { type: 'probe_result', messageId: message.id, ok: false, category: verdict.category, at };
  if (verdict.category === 'provider_block' || verdict.category === 'rate_limit')
    return { type: 'reply', category: verdict.category, at };
  return undefined;
}

/**
 * The outcome of a refused send, pure. While the provider blocks us (`familyBlocked`: the circuit
 * is not closed after this refusal) the mail waits for the circuit however long, with no attempts
 * used up. Only evidence against the mailbox bounces it; a permanent refusal, or a temporary one
 * on the last allowed attempt, fails it; anything else is tried again later.
 */
export function outcomeOfRefusal(facts: {
  verdict: Pick<SendVerdict, 'category' | 'temporary'>;
  familyBlocked: boolean;
  attempts: number;
  maxAttempts: number;
}): FailedSendOutcome {
  if (facts.familyBlocked) return 'held';
  if (facts.verdict.category === 'mailbox_unknown' && !facts.verdict.temporary) return 'bounced';
  if (!facts.verdict.temporary || facts.attempts >= facts.maxAttempts) return 'failed';
  return 'deferred';
}

/**
 * What a server's 250 makes of a message, pure. The recipient's MX (direct delivery, or the
 * development mailbox) has it: delivered now. Our relay took it: in transit until a report says
 * where it is — unless the relay cannot report (no DSN on that connection) and the transit rule
 * counts it as delivered at once (RELAY_TRANSIT_MINUTES = 0). An SMS gateway's acceptance waits
 * for the handset report.
 */
export function acceptanceOf(
  acceptance: { acceptedBy: 'relay' | 'mx' | 'sms_gateway'; reportsRequested: boolean },
  relayTransitMinutes: number,
): AcceptanceRecord {
  const { acceptedBy, reportsRequested } = acceptance;
  switch (acceptedBy) {
    case 'mx':
      return { acceptedBy, state: 'accepted', evidence: 'smtp', reportsRequested: false };
    case 'sms_gateway':
      return { acceptedBy, state: 'accepted', evidence: null, reportsRequested: false };
    case 'relay':
      if (!reportsRequested && relayTransitMinutes === 0)
        return { acceptedBy, state: 'accepted', evidence: 'transit_rule', reportsRequested };
      return { acceptedBy, state: 'in_transit', evidence: null, reportsRequested };
  }
}

/**
 * Whether a failed send never reached an SMTP conversation with our relay (refused, timed out,
 * reset): our relay is down, which is not the recipient's fault. Pure.
 */
export function relayUnreachable(verdict: Pick<SendVerdict, 'replyCode' | 'category'>): boolean {
  return verdict.replyCode === null && verdict.category === 'network';
}

/**
 * Whether our own side failed the send, not the recipient's: our relay unreachable (relay mode),
 * or our DNS resolver not answering (direct mode). Pure.
 */
export function ourSideDown(
  mode: 'relay' | 'direct' | 'development',
  verdict: Pick<SendVerdict, 'replyCode' | 'category' | 'errorCode'>,
): boolean {
  if (mode === 'relay') return relayUnreachable(verdict);
  return mode === 'direct' && verdict.errorCode === 'ERESOLVER';
}
