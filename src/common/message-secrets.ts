import { randomBytes } from 'node:crypto';

/**
 * The secrets of a queued message (the confirmation link's token, the SMS code) are not stored
 * with it: its text holds a placeholder, its payload only the nonce the secret is derived from
 * with the installation's secret (SecretsService.messageSecret) when the message is sent. Only
 * the hash of the token and of the code is stored, so a database backup confirms nothing (with
 * APP_SECRET configured, the installation's secret is not in the database either).
 */
export type SecretKind = 'token' | 'code' | 'status';

export interface SecretSlot {
  kind: SecretKind;
  nonce: string;
}

export type SecretSlots = Record<string, SecretSlot>;

export function secretSlot(kind: SecretKind): SecretSlot {
  return { kind, nonce: randomBytes(16).toString('base64url') };
}

/** The booking's status token (the status and cancel links): derived from the booking and its token version. */
export function statusSlot(bookingId: string, version: number): SecretSlot {
  return { kind: 'status', nonce: `${bookingId}:${version}` };
}

/** What stands in the stored text for the secret `name`. */
export function placeholder(name: string): string {
  return `[[secret:${name}]]`;
}

const FIELDS = ['subject', 'text', 'html'] as const;

/** The payload as sent: every placeholder replaced by its secret. Payloads without slots pass unchanged. */
export function fillSecrets<T extends { secrets?: SecretSlots; [field: string]: unknown }>(
  payload: T,
  derive: (slot: SecretSlot) => string,
): Omit<T, 'secrets'> {
  const { secrets, ...rest } = payload;
  if (!secrets) return rest;
  const filled: Record<string, unknown> = { ...rest };
  for (const field of FIELDS) {
    let value = filled[field];
    if (typeof value !== 'string') continue;
    for (const [name, slot] of Object.entries(secrets)) value = (value as string).split(placeholder(name)).join(derive(slot));
    filled[field] = value;
  }
  return filled as Omit<T, 'secrets'>;
}
