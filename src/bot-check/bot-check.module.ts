import { Module } from '@nestjs/common';
import { AltchaController } from './altcha.controller';
import { AltchaRepository } from './altcha.repository';
import { AltchaService } from './altcha.service';

/** Proof of work against bots on the booking form (and, behind a setting, the booking API). */
@Module({
  controllers: [AltchaController],
  providers: [AltchaService, AltchaRepository],
  exports: [AltchaService],
})
export class BotCheckModule {}
