import { replayMuelheim, ReplayMode } from './support/muelheim-replay';

/**
 * The Mülheim replay (2021), the scenario in test/support/muelheim-replay.ts: 300 bookings over an
 * hour, 35% at GMX/Web.de/mail.com, blocked for six simulated hours; what must hold is listed there.
 * `npm run bench:scale` runs the same replay at ten times the bookings.
 */
async function replay(mode: ReplayMode) {
  const { counts, checks } = await replayMuelheim(mode);
  console.log(`Mülheim replay (${mode}):`, JSON.stringify(counts));
  for (const check of checks) expect({ [check.what]: check.actual }).toEqual({ [check.what]: check.expected });
}

describe('the Mülheim replay: six hours of GMX blocking, 300 bookings', () => {
  it('through the city relay, with delay reports (DSN)', () => replay('relay'), 240_000);

  it(
    "through a relay without delay warnings (Postfix's default): only success reports",
    () => replay('relay-no-delay-warnings'),
    240_000,
  );

  it('by direct delivery to the MX hosts', () => replay('direct'), 240_000);
});
