import { SetMetadata } from '@nestjs/common';

export const STAFF_ROLES = ['clerk', 'supervisor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

const RANK: Record<StaffRole, number> = { clerk: 1, supervisor: 2, admin: 3 };

/** Roles are ranked: a supervisor may do what a clerk may, an admin everything. */
export function roleAllows(actual: StaffRole, required: StaffRole): boolean {
  return RANK[actual] >= RANK[required];
}

export const REQUIRED_ROLE = 'holdfast:required-role';
export const RequireRole = (role: StaffRole) => SetMetadata(REQUIRED_ROLE, role);
