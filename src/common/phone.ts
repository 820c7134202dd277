import { parsePhoneNumberFromString } from 'libphonenumber-js';

export type PhoneVerdict =
  { ok: true; e164: string } | { ok: false; problem: 'not_a_number' | 'country_not_allowed'; callingCode?: string };

/**
 * A citizen's phone number in E.164 (`+4915123456789`), read as German when it has no country
 * code; refused when it cannot be a number, or when its country is not one SMS may go to (SMS to
 * premium or satellite ranges such as +882 cost the city money: "SMS pumping"). Pure.
 */
export function normalisePhone(input: string, allowedCallingCodes: readonly number[]): PhoneVerdict {
  const parsed = parsePhoneNumberFromString(input, 'DE');
  if (!parsed || !parsed.isPossible()) return { ok: false, problem: 'not_a_number' };
  if (!allowedCallingCodes.includes(Number(parsed.countryCallingCode)))
    return { ok: false, problem: 'country_not_allowed', callingCode: parsed.countryCallingCode };
  return { ok: true, e164: parsed.number };
}
