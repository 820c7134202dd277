import { DomainError } from '../common/domain-error';

/**
 * A report about a message that is being sent (again) right now: its acceptance is not recorded
 * yet. Refused for now (DSN: 451, webhook: 503) and applied when the sender retries.
 */
export class ReportTooEarly extends DomainError {
  constructor(messageId: string) {
    super('REPORT_TOO_EARLY', `Message ${messageId} is being sent right now; send the report again later.`);
  }
}
