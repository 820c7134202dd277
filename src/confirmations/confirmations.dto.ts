import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class ConfirmDto {
  @ApiPropertyOptional({ description: 'The token from the mailed link' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  token?: string;
  @ApiPropertyOptional({ example: 'HF-7K3Q-9MPD', description: 'With `code`: the booking reference' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  reference?: string;
  @ApiPropertyOptional({ example: '042917', description: 'The 6-digit code from the SMS; 5 wrong tries lock it' })
  @IsOptional()
  @IsString()
  @MaxLength(12)
  code?: string;
}
