/**
 * Stable error codes. Clients may branch on them; never rename one, only add.
 * The HTTP status is fixed per code so one filter can map them.
 */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  MALFORMED_REQUEST: 400,
  INPUT_TOO_DEEP: 400,
  ALTCHA_REQUIRED: 400,
  ALTCHA_INVALID: 400,
  UNAUTHENTICATED: 401,
  BOOKING_TOKEN_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  LOCATION_NOT_FOUND: 404,
  SERVICE_NOT_FOUND: 404,
  SLOT_NOT_FOUND: 404,
  BOOKING_NOT_FOUND: 404,
  TOKEN_INVALID: 404,
  METHOD_NOT_ALLOWED: 405,
  SLOT_FULL: 409,
  SLOT_IN_PAST: 409,
  BOOKING_LIMIT_SLOT: 409,
  BOOKING_LIMIT_DAY: 409,
  BOOKING_LIMIT_NO_SHOW: 409,
  INVALID_TRANSITION: 409,
  INCIDENT_OPEN: 409,
  CLOSURE_HAS_BOOKINGS: 409,
  RESCHEDULE_NOT_ALLOWED: 409,
  ATTENDANCE_NOT_ALLOWED: 409,
  PRIVACY_ACTIVE_BOOKING: 409,
  RESEND_TOO_SOON: 429,
  CHANGE_TOO_SOON: 429,
  LOGIN_THROTTLED: 429,
  RATE_LIMITED: 429,
  CODE_TRIES_EXCEEDED: 429,
  SMS_NOT_POSSIBLE: 409,
  EXTENSION_INVALID: 422,
  INCIDENT_NOT_FOUND: 404,
  STAFF_EMAIL_TAKEN: 409,
  STAFF_NOT_FOUND: 404,
  STAFF_SELF_CHANGE: 409,
  SESSION_NOT_FOUND: 404,
  PASSWORD_LOGIN_OFF: 403,
  CSRF_INVALID: 403,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  LOGIN_FAILED: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  INTERNAL: 500,
  NOT_READY: 503,
  CLOCK_SKEW: 503,
  REPORT_TOO_EARLY: 503,
  DATABASE_UNAVAILABLE: 503,
  REQUEST_TIMEOUT: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Response headers that belong to the error (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
