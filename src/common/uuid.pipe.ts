import { ParseUUIDPipe } from '@nestjs/common';
import { DomainError } from './domain-error';

/** A path id that is not a UUID is a 400 VALIDATION_FAILED, not a database error. */
export const uuidParam = (field = 'id') =>
  new ParseUUIDPipe({
    exceptionFactory: () =>
      new DomainError('VALIDATION_FAILED', `\`${field}\` must be a UUID.`, [{ field, problems: ['must be a UUID'] }]),
  });
