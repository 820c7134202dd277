import { DynamicModule, Module } from '@nestjs/common';
import { DevMailCatcher } from './dev-mail-catcher';
import { DevMailController } from './dev-mail.controller';

@Module({})
export class DevMailModule {
  static forRoot(catcher: DevMailCatcher): DynamicModule {
    return {
      module: DevMailModule,
      controllers: [DevMailController],
      providers: [{ provide: DevMailCatcher, useValue: catcher }],
    };
  }
}
