import { Injectable } from '@nestjs/common';
import { BookingsRepository } from '../bookings/bookings.repository';
import { TransactionRunner } from '../database/transaction-runner';

/** Finding a booking by reference, e-mail address or part of the name (staff only). */
@Injectable()
export class BookingSearch {
  constructor(
    private readonly bookings: BookingsRepository,
    private readonly tx: TransactionRunner,
  ) {}

  find(term: string, reference: string, locationIds: string[] | null) {
    return this.bookings.search(this.tx.manager, term, reference, locationIds, 50);
  }
}
