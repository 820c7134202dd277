import { webhookSignature } from '../../src/common/webhook-signature';

/** The headers a relay's or SMS gateway's webhook sends: the timestamp and the signature over it and the body. */
export function signedHeaders(secret: string, body: string, clock: { now(): { toSeconds(): number } }, skewSeconds = 0) {
  const timestamp = String(Math.floor(clock.now().toSeconds()) + skewSeconds);
  return { 'x-holdfast-timestamp': timestamp, 'x-holdfast-signature': webhookSignature(secret, timestamp, body) };
}
