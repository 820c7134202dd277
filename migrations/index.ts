import { BookingCore1764280000000 } from './1764280000000-BookingCore';
import { MailDelivery1764290000000 } from './1764290000000-MailDelivery';
import { HoldsAndReview1764300000000 } from './1764300000000-HoldsAndReview';
import { HoldStart1764310000000 } from './1764310000000-HoldStart';
import { RelayTransit1764320000000 } from './1764320000000-RelayTransit';
import { ReportReceipts1764330000000 } from './1764330000000-ReportReceipts';
import { ScaleIndexes1764340000000 } from './1764340000000-ScaleIndexes';

/** Every migration, in order. Listed explicitly so the compiled app and the tests run the same set. */
export const MIGRATIONS = [
  BookingCore1764280000000,
  MailDelivery1764290000000,
  HoldsAndReview1764300000000,
  HoldStart1764310000000,
  RelayTransit1764320000000,
  ReportReceipts1764330000000,
  ScaleIndexes1764340000000,
];
