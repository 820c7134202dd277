import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';

export class SmsGatewayError extends Error {
  constructor(
    message: string,
    readonly temporary: boolean,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/**
 * The SMS channel: a JSON POST to the city's gateway with a bearer token,
 * `{ to, text, reference }` -> 2xx `{ id? }`. 4xx is final, 5xx and network errors are retried.
 */
@Injectable()
export class SmsGateway {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get enabled(): boolean {
    return !!this.config.smsGatewayUrl;
  }

  async send(sms: { to: string; text: string; reference: string }): Promise<{ id: string | null; status: number }> {
    if (!this.config.smsGatewayUrl) throw new SmsGatewayError('no SMS_GATEWAY_URL configured', false, null);
    let res: Response;
    try {
      res = await fetch(this.config.smsGatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.config.smsGatewayToken ? { authorization: `Bearer ${this.config.smsGatewayToken}` } : {}),
        },
        body: JSON.stringify(sms),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new SmsGatewayError(`SMS gateway not reachable: ${(err as Error).message}`, true, null);
    }
    const body = await res.text();
    if (!res.ok)
      throw new SmsGatewayError(
        `SMS gateway answered ${res.status}: ${body.slice(0, 300)}`,
        res.status >= 500 || res.status === 429,
        res.status,
      );
    let id: string | null = null;
    try {
      id = (JSON.parse(body) as { id?: unknown }).id?.toString() ?? null;
    } catch {
      id = null;
    }
    return { id, status: res.status };
  }
}
