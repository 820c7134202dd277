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
  const e = err as { code?: unknown; remoteHost?: unknown };
  const reply = replyFromNodemailerError(err);
  // Direct delivery names the MX that answered: its host name tells the provider.
  if (!reply.remoteHost && typeof e?.remoteHost === 'string') reply.remoteHost = e.remoteHost;
  const verdict = classifySmtpReply(reply);
  return {
    temporary: verdict.temporary || verdict.category === 'provider_block',
    category: verdict.category,
    replyCode: reply.code > 0 ? reply.code : null,
    reply: reply.text.slice(0, 2000),
    errorCode: typeof e?.code === 'string' ? e.code.slice(0, 40) : null,
  };
}
