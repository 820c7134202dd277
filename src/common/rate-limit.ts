import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DomainError } from './domain-error';

/**
 * Per-IP limits on the routes a stranger can hammer: booking, confirmation, self-service, status,
 * login. A fixed one-minute window per route group and address, in this instance's memory (each
 * instance counts for itself: with N instances behind a balancer an address gets up to N times
 * the limit, still far from a flood). RATE_LIMIT_PER_MINUTE sets the write routes; the status page
 * gets four times as much; 0 switches the limits off.
 */
export type RateBucket = 'booking' | 'confirm' | 'self_service' | 'status' | 'login';

const RATE_BUCKET = 'holdfast:rate-bucket';
/** Marks a route as limited per IP address in this group. */
export const RateLimited = (bucket: RateBucket) => SetMetadata(RATE_BUCKET, bucket);

const SHARE: Record<RateBucket, number> = { booking: 1, confirm: 1, self_service: 1, status: 4, login: 1 };

/** Fixed one-minute windows per key, pure apart from its map; old windows are dropped as new ones start. */
export class WindowLimiter {
  private windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(private readonly windowMs = 60_000) {}

  /** Counts one request; whether it may pass, and when the window ends. */
  hit(key: string, limit: number, now: number): { allowed: boolean; retryAfterSeconds: number } {
    if (now - this.lastSweep > this.windowMs) {
      for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
      this.lastSweep = now;
    }
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return {
      allowed: window.count <= limit,
      retryAfterSeconds: Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000)),
    };
  }
}

@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limiter = new WindowLimiter();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const bucket = this.reflector.get<RateBucket | undefined>(RATE_BUCKET, context.getHandler());
    if (!bucket || this.config.rateLimitPerMinute === 0) return true;
    // Behind the city's reverse proxy, TRUST_PROXY makes this the client's address, not the proxy's.
    const ip = context.switchToHttp().getRequest<{ ip?: string }>().ip ?? 'unknown';
    const limit = this.config.rateLimitPerMinute * SHARE[bucket];
    const { allowed, retryAfterSeconds } = this.limiter.hit(`${bucket}:${ip}`, limit, Date.now());
    if (allowed) return true;
    throw new DomainError(
      'RATE_LIMITED',
      `Too many requests from your address; try again in ${retryAfterSeconds} seconds.`,
      { retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}
