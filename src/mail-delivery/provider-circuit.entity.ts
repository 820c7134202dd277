import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('provider_circuits')
@Check('provider_circuits_state_check', "state IN ('closed', 'open', 'half_open')")
export class ProviderCircuitEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) family: string;
  @Column({ type: 'varchar', length: 12, default: 'closed' }) state: 'closed' | 'open' | 'half_open';
  @Column({ type: 'timestamptz' }) since: Date;
  @Column({ name: 'open_until', type: 'timestamptz', nullable: true }) openUntil: Date | null;
  /** The pure circuit state (provider-circuit.ts), as JSON. */
  @Column({ type: 'jsonb' }) circuit: unknown;
  @Column({ name: 'paused_by', type: 'varchar', length: 254, nullable: true }) pausedBy: string | null;
  @Column({ name: 'pause_reason', type: 'text', nullable: true }) pauseReason: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
