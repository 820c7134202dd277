import { BookingCore1764280000000 } from './1764280000000-BookingCore';

/** Every migration, in order. Listed explicitly so the compiled app and the tests run the same set. */
export const MIGRATIONS = [BookingCore1764280000000];
