/** A counter unit as a change would leave it: its time and the counters it would have. */
export interface UnitAfterChange {
  startsAt: number;
  endsAt: number;
  counters: number;
}

/** An active booking and the time it holds a counter for (its slot and any combined services' minutes). */
export interface HoldingBooking {
  id: string;
  createdAt: number;
  startsAt: number;
  endsAt: number;
}

/**
 * The bookings a capacity change (fewer counters, shorter hours) would leave without a counter:
 * unit by unit in time order, where more bookings hold the unit than it would have counters,
 * those made last give way first (who booked first keeps the place). A booking that gives way
 * frees every unit it held, so later units count it no more. Pure; the caller cancels them or
 * offers them new times.
 */
export function bookingsOverCapacity(units: readonly UnitAfterChange[], bookings: readonly HoldingBooking[]): string[] {
  const out = new Set<string>();
  const sorted = [...units].sort((a, b) => a.startsAt - b.startsAt);
  for (const unit of sorted) {
    const holders = bookings
      .filter((b) => !out.has(b.id) && b.startsAt < unit.endsAt && b.endsAt > unit.startsAt)
      .sort((a, b) => b.createdAt - a.createdAt || b.id.localeCompare(a.id));
    for (let i = 0; i < holders.length - Math.max(0, unit.counters); i++) out.add(holders[i].id);
  }
  return bookings.filter((b) => out.has(b.id)).map((b) => b.id);
}
