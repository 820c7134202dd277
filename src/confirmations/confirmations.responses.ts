import { ApiProperty } from '@nestjs/swagger';

export class ConfirmedBookingDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'HF-7K3Q-9MPD' }) reference: string;
  @ApiProperty({ example: 'confirmed' }) status: string;
}

/** A server-rendered page (the pages' success and error answers are HTML). */
export const HTML_PAGE = { 'text/html': { schema: { type: 'string', description: 'A page in the KERN UX look' } } };
