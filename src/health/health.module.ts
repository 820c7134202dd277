import { DynamicModule, Module } from '@nestjs/common';
import { HealthController } from './health.controller';

/** Liveness and readiness; readiness asks the mail transport of the app's NotificationsModule (the same instance). */
@Module({})
export class HealthModule {
  static register(notifications: DynamicModule): DynamicModule {
    return { module: HealthModule, imports: [notifications], controllers: [HealthController] };
  }
}
