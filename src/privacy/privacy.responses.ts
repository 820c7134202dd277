import { ApiProperty } from '@nestjs/swagger';

const ROWS = (what: string) =>
  ({ type: 'array', items: { type: 'object', additionalProperties: true }, description: what }) as const;

/** Everything held about an address, as stored (the rows' columns in camelCase). */
export class PrivacyExportResultDto {
  @ApiProperty() email: string;
  @ApiProperty({ format: 'date-time' }) exportedAt: string;
  @ApiProperty(ROWS('The bookings made with the address: name, address, phone, office, slot, status and times'))
  bookings: Array<Record<string, unknown>>;
  @ApiProperty(ROWS('Every message of those bookings or to the address, with its payload and state')) messages: Array<
    Record<string, unknown>
  >;
  @ApiProperty(ROWS('Every send attempt of those messages with the server’s reply')) attempts: Array<Record<string, unknown>>;
  @ApiProperty(ROWS('Delivery reports and events of those messages')) reports: Array<Record<string, unknown>>;
  @ApiProperty(ROWS('Audit entries about those bookings or the address')) audit: Array<Record<string, unknown>>;
}

/** What an early erasure anonymised. */
export class PrivacyEraseResultDto {
  @ApiProperty() bookings: number;
  @ApiProperty() messages: number;
  @ApiProperty() attempts: number;
  @ApiProperty() reports: number;
  @ApiProperty() auditEntries: number;
}
