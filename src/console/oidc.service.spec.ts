import { officesFromClaim, roleFromClaim } from './oidc.service';

describe('single sign-on claims', () => {
  it.each([
    ['clerk', 'clerk'],
    [['user', 'Supervisor'], 'supervisor'],
    [['clerk', 'admin', 'supervisor'], 'admin'],
    ['clerk, supervisor', 'supervisor'],
    [['user', 'offline_access'], undefined],
    [undefined, undefined],
    [42, undefined],
  ])('role claim %j -> %s', (claim, role) => expect(roleFromClaim(claim)).toBe(role));

  it('offices: location ids from a list or a string, others dropped; none named is every office', () => {
    const a = '6f16d98e-c69d-4d5f-9e94-e1a35d7da73e';
    const b = '46C3B20D-7DAE-4D45-A3CF-079FFE871DD9';
    expect(officesFromClaim([a, 'Mitte', b, a])).toEqual([a, b.toLowerCase()]);
    expect(officesFromClaim(`${a},${b}`)).toEqual([a, b.toLowerCase()]);
    expect(officesFromClaim(['Mitte'])).toBeNull();
    expect(officesFromClaim(undefined)).toBeNull();
  });
});
