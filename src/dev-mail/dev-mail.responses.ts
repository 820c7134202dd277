import { ApiProperty } from '@nestjs/swagger';

class CaughtAttachmentDto {
  @ApiProperty({ example: 'termin.ics' }) filename: string;
  @ApiProperty({ example: 'text/calendar' }) contentType: string;
  @ApiProperty() content: string;
}

/** A mail the development catcher took (development mode only). */
export class CaughtMailDto {
  @ApiProperty({ type: [String] }) to: string[];
  @ApiProperty() subject: string;
  @ApiProperty() text: string;
  @ApiProperty() html: string;
  @ApiProperty({ type: [String], description: 'The links in the text (confirm, status page …)' }) links: string[];
  @ApiProperty({ type: [CaughtAttachmentDto] }) attachments: CaughtAttachmentDto[];
  @ApiProperty({ type: String, nullable: true }) messageId: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
}
