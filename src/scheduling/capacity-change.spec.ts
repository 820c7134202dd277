import { bookingsOverCapacity, HoldingBooking } from './capacity-change';

const min = (m: number) => m * 60_000;
const booking = (id: string, createdAt: number, from: number, to: number): HoldingBooking => ({
  id,
  createdAt,
  startsAt: min(from),
  endsAt: min(to),
});
const units = (counters: number[], length = 10) =>
  counters.map((c, i) => ({ startsAt: min(i * length), endsAt: min((i + 1) * length), counters: c }));

describe('bookingsOverCapacity', () => {
  it('keeps everyone while the counters suffice', () => {
    expect(bookingsOverCapacity(units([2, 2]), [booking('a', 1, 0, 20), booking('b', 2, 0, 10)])).toEqual([]);
  });

  it('the booking made last gives way first', () => {
    const out = bookingsOverCapacity(units([1, 1]), [booking('early', 1, 0, 20), booking('late', 2, 0, 20)]);
    expect(out).toEqual(['late']);
  });

  it('a booking that gives way frees its later units too', () => {
    // Units 0–10 with 1 counter, 10–20 with 1: c (latest) holds both and gives way in the first; b then fits.
    const out = bookingsOverCapacity(units([1, 1]), [booking('a', 1, 0, 10), booking('c', 3, 0, 20), booking('b', 2, 10, 20)]);
    expect(out).toEqual(['c']);
  });

  it('a unit without counters (closed) takes all its holders', () => {
    const out = bookingsOverCapacity(units([2, 0, 2]), [booking('a', 1, 0, 10), booking('b', 2, 10, 20), booking('c', 3, 5, 15)]);
    expect(out.sort()).toEqual(['b', 'c']);
  });

  it('bookings outside the changed units are never named', () => {
    expect(bookingsOverCapacity(units([0]), [booking('later', 1, 30, 40)])).toEqual([]);
  });
});
