import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

// The migrations are the schema's source of truth; entities name the same constraints so that
// `npm run migration:generate` reports only real differences. Indexes are declared with
// `synchronize: false`: written by hand in SQL (partial and expression indexes), never dropped.

@Entity('locations')
@Unique('uq_locations_name', ['name'])
export class LocationEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 300 }) address: string;
  @Column({ name: 'time_zone', type: 'varchar', length: 64 }) timeZone: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
