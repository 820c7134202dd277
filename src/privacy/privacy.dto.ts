import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { trimmed as trim } from '../common/validation';

export class PrivacyExportDto {
  @ApiProperty({
    description: 'The citizen’s e-mail address (as its mailbox sees it: case and +tags of known providers ignored)',
  })
  @Transform(trim)
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email: string;
}

export class PrivacyEraseDto extends PrivacyExportDto {
  @ApiProperty({ description: 'Why, e.g. the citizen’s request and its date' })
  @Transform(trim)
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason: string;
}
