import { Injectable } from '@nestjs/common';

/**
 * Where this process is in its life. A SIGTERM (main.ts) sets `draining` first: readiness then
 * answers 503 at once (the load balancer sends no new requests), the dispatcher claims nothing
 * more, and the running work ends before the SMTP pools and the database close.
 */
@Injectable()
export class Lifecycle {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }
}
