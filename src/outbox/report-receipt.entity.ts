import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A signed webhook request already applied (the hash of its signature). */
@Entity('report_receipts')
@Index('ix_report_receipts_at', { synchronize: false })
export class ReportReceiptEntity {
  @PrimaryColumn({ type: 'bytea' }) key: Buffer;
  @Column({ type: 'timestamptz' }) at: Date;
}
