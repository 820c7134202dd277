import { DemoSeedService } from '../scheduling/demo-seed.service';
import { withCliContext } from './cli-context';

/** `npm run seed`: demo locations and services (idempotent) and slots for SLOT_HORIZON_DAYS days ahead. */
withCliContext(async (ctx, config) => {
  const result = await ctx.get(DemoSeedService).seed(config.slotHorizonDays);
  console.log(
    `seeded: ${result.locations} locations, ${result.services} services, ${result.slots} new slots for ${config.slotHorizonDays} days`,
  );
}).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
