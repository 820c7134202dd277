export interface SendVerdict {
  temporary: boolean;
  replyCode: number | null;
  reply: string;
  errorCode: string | null;
}

/**
 * What a failed send means for retrying: a 4xx reply or a network failure is temporary, a
 * 5xx is final. (The mail-delivery classifier refines this per provider.) Pure.
 */
export function classifySendError(err: unknown): SendVerdict {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const replyCode = typeof e?.responseCode === 'number' ? e.responseCode : null;
  const reply = String(e?.response ?? e?.message ?? err).slice(0, 2000);
  const errorCode = typeof e?.code === 'string' ? e.code.slice(0, 40) : null;
  const temporary = replyCode === null ? true : replyCode < 500;
  return { temporary, replyCode, reply, errorCode };
}
