import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Configuration } from 'openid-client';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { STAFF_ROLES, StaffRole } from '../staff/roles';
import type { VouchedIdentity } from '../staff/staff.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RANK: Record<StaffRole, number> = { clerk: 1, supervisor: 2, admin: 3 };

/** What the browser carries between the start of a single sign-on and its return (an HttpOnly cookie). */
export interface SsoTransit {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
}

/** The staff member the provider vouched for. */
export type SsoIdentity = VouchedIdentity;

/**
 * The role a claim names: a value or a list of values (Keycloak's roles, ADFS's groups); the
 * highest of clerk, supervisor, admin among them; undefined when none.
 */
export function roleFromClaim(value: unknown): StaffRole | undefined {
  const values = (Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : []).filter(
    (v): v is string => typeof v === 'string',
  );
  const roles = values
    .map((v) => v.trim().toLowerCase())
    .filter((v): v is StaffRole => (STAFF_ROLES as readonly string[]).includes(v));
  return roles.sort((a, b) => RANK[b] - RANK[a])[0];
}

/** The offices a claim lists (location ids, a list or a comma-separated string); null: none named (every office). */
export function officesFromClaim(value: unknown): string[] | null {
  const values = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  const ids = values.filter((v): v is string => typeof v === 'string' && UUID.test(v.trim())).map((v) => v.trim().toLowerCase());
  return ids.length ? [...new Set(ids)] : null;
}

/**
 * Single sign-on with OpenID Connect (authorization code flow with PKCE, state and nonce) through
 * openid-client. The provider is discovered on first use, so the app starts while it is away.
 */
@Injectable()
export class OidcService {
  private readonly log = new Logger('Oidc');
  private configuration?: Promise<Configuration>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return !!this.config.oidc;
  }

  get redirectUri(): string {
    return `${this.config.publicBaseUrl}/verwaltung/sso/rueckkehr`;
  }

  private async client() {
    // openid-client ships ES modules only; Node 24 loads them from CommonJS.
    return import('openid-client');
  }

  private discover(): Promise<Configuration> {
    const oidc = this.config.oidc;
    if (!oidc) throw new DomainError('NOT_FOUND', 'Single sign-on is not configured.');
    this.configuration ??= (async () => {
      const client = await this.client();
      const issuer = new URL(oidc.issuer);
      // A provider on plain http is accepted only because an admin configured it so (e.g. on loopback).
      const options = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
      return client.discovery(issuer, oidc.clientId, oidc.clientSecret, undefined, options);
    })().catch((err: unknown) => {
      this.configuration = undefined;
      this.log.warn(`OpenID provider discovery failed: ${(err as Error).message}`);
      throw new DomainError('NOT_READY', 'The city’s sign-in service cannot be reached right now.');
    });
    return this.configuration;
  }

  /** Where to send the browser, and what it must bring back. */
  async start(next: string): Promise<{ url: string; transit: SsoTransit }> {
    const [client, configuration] = await Promise.all([this.client(), this.discover()]);
    const transit = { state: client.randomState(), nonce: client.randomNonce(), verifier: client.randomPKCECodeVerifier(), next };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      state: transit.state,
      nonce: transit.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(transit.verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, transit };
  }

  /** The code at the return address exchanged, the ID token checked, the identity read from the claims. */
  async finish(returnPathAndQuery: string, transit: SsoTransit): Promise<SsoIdentity> {
    const oidc = this.config.oidc!;
    const [client, configuration] = await Promise.all([this.client(), this.discover()]);
    const current = new URL(returnPathAndQuery, this.config.publicBaseUrl);
    let claims: Record<string, unknown>;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: transit.verifier,
        expectedState: transit.state,
        expectedNonce: transit.nonce,
        idTokenExpected: true,
      });
      const idClaims: Record<string, unknown> = { ...(tokens.claims() ?? {}) };
      const userInfo = await client.fetchUserInfo(configuration, tokens.access_token, String(idClaims.sub)).catch(() => ({}));
      claims = { ...userInfo, ...idClaims };
    } catch (err) {
      this.log.warn(`single sign-on refused: ${(err as Error).name}: ${(err as Error).message}`);
      throw new DomainError('LOGIN_FAILED', 'The sign-in at the city’s service did not complete.');
    }
    // The person's identity: from the ID token (checked), never from the user info.
    const issuer = typeof claims.iss === 'string' ? claims.iss : '',
      subject = typeof claims.sub === 'string' ? claims.sub : '';
    if (!issuer || !subject || subject.length > 255 || issuer.length > 500)
      throw new DomainError('LOGIN_FAILED', 'The city’s sign-in named nobody.');
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    const role = roleFromClaim(claims[oidc.roleClaim]);
    if (!email || !role)
      throw new DomainError('FORBIDDEN', 'The city’s sign-in names no e-mail address or no holdfast role for this person.');
    // An admin's account is bound at its first single sign-on by address: one the person could set themselves must not open it.
    if (claims.email_verified !== true && claims.email_verified !== 'true')
      throw new DomainError('FORBIDDEN', 'The city’s sign-in has not verified this person’s e-mail address.');
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email;
    return {
      issuer,
      subject,
      email: email.slice(0, 254),
      displayName: name,
      role,
      // No offices claim at all: the bindings an admin set stay as they are (null); an empty one clears them.
      locationIds:
        role === 'clerk' && claims[oidc.officesClaim] !== undefined ? (officesFromClaim(claims[oidc.officesClaim]) ?? []) : null,
    };
  }
}
