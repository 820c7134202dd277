import { roleAllows, STAFF_ROLES } from './roles';

describe('role ranking', () => {
  it.each([
    ['clerk', 'clerk', true],
    ['clerk', 'supervisor', false],
    ['clerk', 'admin', false],
    ['supervisor', 'clerk', true],
    ['supervisor', 'supervisor', true],
    ['supervisor', 'admin', false],
    ['admin', 'clerk', true],
    ['admin', 'supervisor', true],
    ['admin', 'admin', true],
  ] as const)('%s may act as %s: %s', (actual, required, allowed) => {
    expect(roleAllows(actual, required)).toBe(allowed);
  });

  it('knows three roles', () => expect(STAFF_ROLES).toEqual(['clerk', 'supervisor', 'admin']));
});
