import { BookingCore1764280000000 } from './1764280000000-BookingCore';
import { MailDelivery1764290000000 } from './1764290000000-MailDelivery';
import { HoldsAndReview1764300000000 } from './1764300000000-HoldsAndReview';
import { HoldStart1764310000000 } from './1764310000000-HoldStart';
import { RelayTransit1764320000000 } from './1764320000000-RelayTransit';
import { ReportReceipts1764330000000 } from './1764330000000-ReportReceipts';
import { ScaleIndexes1764340000000 } from './1764340000000-ScaleIndexes';
import { CommitWindow1764350000000 } from './1764350000000-CommitWindow';
import { AddressKey1764360000000 } from './1764360000000-AddressKey';
import { LoginThrottle1764370000000 } from './1764370000000-LoginThrottle';
import { CodeTries1764380000000 } from './1764380000000-CodeTries';
import { ScrubStoredSecrets1764390000000 } from './1764390000000-ScrubStoredSecrets';
import { Reminders1764400000000 } from './1764400000000-Reminders';
import { BookingLanguage1764410000000 } from './1764410000000-BookingLanguage';
import { BookingRefusal1764420000000 } from './1764420000000-BookingRefusal';
import { AltchaSolutions1764430000000 } from './1764430000000-AltchaSolutions';
import { CounterUnits1764440000000 } from './1764440000000-CounterUnits';
import { Closures1764450000000 } from './1764450000000-Closures';
import { Reschedule1764460000000 } from './1764460000000-Reschedule';
import { CounterDay1764470000000 } from './1764470000000-CounterDay';
import { StaffOffices1764490000000 } from './1764490000000-StaffOffices';
import { Retention1764650000000 } from './1764650000000-Retention';
import { OfficeAdmin1764660000000 } from './1764660000000-OfficeAdmin';
import { StaffSessionKinds1764700000000 } from './1764700000000-StaffSessionKinds';
import { SsoSubject1764710000000 } from './1764710000000-SsoSubject';

/** Every migration, in order. Listed explicitly so the compiled app and the tests run the same set. */
export const MIGRATIONS = [
  BookingCore1764280000000,
  MailDelivery1764290000000,
  HoldsAndReview1764300000000,
  HoldStart1764310000000,
  RelayTransit1764320000000,
  ReportReceipts1764330000000,
  ScaleIndexes1764340000000,
  CommitWindow1764350000000,
  AddressKey1764360000000,
  LoginThrottle1764370000000,
  CodeTries1764380000000,
  ScrubStoredSecrets1764390000000,
  Reminders1764400000000,
  BookingLanguage1764410000000,
  BookingRefusal1764420000000,
  AltchaSolutions1764430000000,
  CounterUnits1764440000000,
  Closures1764450000000,
  Reschedule1764460000000,
  CounterDay1764470000000,
  StaffOffices1764490000000,
  Retention1764650000000,
  OfficeAdmin1764660000000,
  StaffSessionKinds1764700000000,
  SsoSubject1764710000000,
];
