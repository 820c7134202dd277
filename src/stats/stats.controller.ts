import { StatsDto } from './stats.responses';
import { Controller, Get, Header, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { RequireRole } from '../staff/roles';
import { StaffGuard } from '../staff/staff.guard';
import { StatsQueryDto } from './stats.dto';
import { StatsService } from './stats.service';

@ApiTags('stats')
@ApiBearerAuth()
@Controller('api/v1')
@UseGuards(StaffGuard)
@RequireRole('supervisor')
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @Get('stats')
  @ApiOperation({
    summary:
      'Figures of a period: bookings made, confirmed, expired by reason, rescued (confirmed although the mail was deferred, delayed or held), cancelled, no-shows, walk-ins; counter utilisation; confirmation mail by provider family',
  })
  @ApiOkResponse({ type: StatsDto })
  figures(@Query() query: StatsQueryDto) {
    return this.stats.figures(query);
  }

  @Get('stats.csv')
  @Header('content-type', 'text/csv; charset=utf-8')
  @Header('content-disposition', 'attachment; filename="holdfast-statistik.csv"')
  @ApiProduces('text/csv')
  @ApiOperation({ summary: 'The same figures as CSV (figure,family,value)' })
  @ApiOkResponse({ content: { 'text/csv': { schema: { type: 'string', example: 'figure,family,value\nbookings.made,,42\n' } } } })
  csv(@Query() query: StatsQueryDto) {
    return this.stats.csv(query);
  }
}
