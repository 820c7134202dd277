import { EU_CALLING_CODES } from '../config/app-config';
import { normalisePhone } from './phone';

describe('normalisePhone', () => {
  it.each<[string, string, ReturnType<typeof normalisePhone>]>([
    ['German mobile with country code and spaces', '+49 151 23456789', { ok: true, e164: '+4915123456789' }],
    ['German mobile, national form', '0151 23456789', { ok: true, e164: '+4915123456789' }],
    ['with brackets and dashes', '+49 (0)30 1234-5678', { ok: true, e164: '+493012345678' }],
    ['Austria (EU)', '+43 664 1234567', { ok: true, e164: '+436641234567' }],
    ['international satellite range +882', '+882 1234 5678', { ok: false, problem: 'country_not_allowed', callingCode: '882' }],
    ['USA: not in the default list', '+1 202 555 0143', { ok: false, problem: 'country_not_allowed', callingCode: '1' }],
    ['too short to be a number', '+49 12', { ok: false, problem: 'not_a_number' }],
    ['letters', 'call me', { ok: false, problem: 'not_a_number' }],
  ])('%s', (_name, input, expected) => {
    expect(normalisePhone(input, EU_CALLING_CODES)).toEqual(expected);
  });

  it('a configured list decides', () => {
    expect(normalisePhone('+1 202 555 0143', [1, 49])).toEqual({ ok: true, e164: '+12025550143' });
  });
});
