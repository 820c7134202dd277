import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { ClockGuard } from '../common/clock-guard.service';
import { Lifecycle } from '../common/lifecycle';
import { Metrics } from '../common/metrics';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TransactionRunner } from '../database/transaction-runner';
import { ProviderCircuitsService } from '../mail-delivery/provider-circuits.service';
import { ProviderFamilyResolver } from '../mail-delivery/provider-families';
import { SLOW_FLOOR_MINUTES } from '../mail-delivery/relay-reports';
import { RelayStatusService } from '../mail-delivery/relay-status.service';
import { acceptanceOf, circuitEventOfRefusal, ourSideDown, outcomeOfRefusal, SendVerdict } from './send-outcome';
import { OUR_RELAY_CIRCUIT } from '../outbox/outbox-states';
import { Acceptance, EmailChannel, NotificationChannel, SmsChannel } from './channel';
import { WorkerLoop } from '../common/worker-loop';
import { DELIVERY_LISTENER, DeliveryListener } from '../outbox/delivery-listener';
import { AcceptedSend, AttemptResult, ClaimedMessage, OutboxRepository } from '../outbox/outbox.repository';
import { retryDelaySeconds } from '../outbox/retry-policy';

const FAMILY_BATCH = 200;
/** Acceptances recorded together: one commit for this many mails. */
const ACCEPT_FLUSH = 25;
const ACCEPT_FLUSH_MS = 1000;

type AcceptedMail = AcceptedSend;

/**
 * Sends what the outbox holds. Claims rows with SKIP LOCKED and a lease, so several instances
 * share the work and a crashed worker's rows come back; records every attempt. Per provider
 * family: a circuit that stops sending while the provider blocks us, one probe per open period,
 * and a send rate.
 */
@Injectable()
export class DispatcherService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Dispatcher');
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private loop?: WorkerLoop;
  /** The relay never reports (as of this round): its 250 is all a probe will get. */
  private relaySilent = false;

  constructor(
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
    private readonly emailChannel: EmailChannel,
    private readonly smsChannel: SmsChannel,
    private readonly circuits: ProviderCircuitsService,
    private readonly families: ProviderFamilyResolver,
    private readonly relayStatus: RelayStatusService,
    @Inject(DELIVERY_LISTENER) private readonly listener: DeliveryListener,
    private readonly clock: Clock,
    private readonly clockGuard: ClockGuard,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly lifecycle: Lifecycle,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.workersEnabled) return;
    const { dispatchIntervalMs } = this.config;
    this.loop = new WorkerLoop('Dispatcher', () => this.round(), {
      intervalMs: dispatchIntervalMs,
      backoffMs: dispatchIntervalMs * 4,
      failure: 'dispatch failed',
    });
    this.loop.start(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop?.stop();
  }

  /** A full batch: go again at once; otherwise wait an interval. */
  private async round(): Promise<number> {
    const sent = await this.dispatchOnce();
    return sent >= this.config.dispatchBatchSize ? 0 : this.config.dispatchIntervalMs;
  }

  /** One round: families, circuits, probes, then a batch; each result recorded. Returns how many were sent. */
  async dispatchOnce(owner = this.workerId): Promise<number> {
    // Leases and retry times are this server's clock: on a clock that disagrees with the database's, nothing is claimed.
    if (!(await this.clockGuard.inSync())) return 0;
    // Shutting down: nothing new is claimed; the round that runs sends and records what it holds.
    if (this.lifecycle.draining) return 0;
    await this.resolveFamilies();
    await this.circuits.tick();
    await this.outbox.withdrawStale(this.tx.manager);
    // The transit rule first: a mail it counts as delivered needs no SMS.
    const transitRuleForAll = await this.applyTransitRule();
    this.relaySilent = transitRuleForAll;
    // Mail in the relay's queue past the floor of "slow" is stuck, unless the relay never reports.
    const facts = { inTransitStuckAfterMinutes: transitRuleForAll ? null : SLOW_FLOOR_MINUTES };
    await this.tx.run((m) => this.listener.beforeDispatchRound(m, this.clock.now(), facts));
    const probes: ClaimedMessage[] = [];
    await this.circuits.claimProbes(async (manager, id) => {
      const probe = await this.outbox.claimProbe(manager, id, {
        now: this.clock.now().toJSDate(),
        owner,
        leaseSeconds: this.config.outboxLeaseSeconds,
      });
      if (probe) probes.push(probe);
    });
    const claimed = [...probes, ...(this.lifecycle.draining ? [] : await this.claim(owner))];
    await this.deliverBatch(claimed, owner);
    return claimed.length;
  }

  /**
   * Sends a claimed batch family by family: the first mail of a family alone, the rest on
   * SMTP_POOL_SIZE lanes once it went through. When a family's provider blocks us mid-batch, its
   * remaining mail is held without being tried: we stop hammering at the first refusal.
   * Refusals (and probes) are recorded one by one as they come; acceptances in small groups
   * (every ACCEPT_FLUSH of them, and at the end), so one commit covers many mails but a slow
   * family never keeps another family's results unrecorded for long. One failing mail never
   * stops the others.
   */
  async deliverBatch(claimed: ClaimedMessage[], owner = this.workerId): Promise<void> {
    const accepted: AcceptedMail[] = [];
    const flush = async () => {
      const group = accepted.splice(0);
      if (group.length === 0) return;
      const recorded = await this.tx.run(async (manager) => {
        const done = await this.outbox.completeAccepted(manager, owner, group);
        // Lost leases: the server took the mail all the same; recorded, and kept where nobody sends it now.
        const doneIds = new Set(done.map((d) => d.id));
        const late = group.filter((g) => !doneIds.has(g.id));
        const moved = await this.outbox.recordLateAcceptances(manager, owner, late);
        await this.listener.onDeliveryChanged(
          manager,
          [...done, ...moved].map((d) => d.bookingId).filter((id): id is string => !!id),
          this.clock.now(),
        );
        return done.length;
      });
      if (recorded < group.length)
        this.logger.warn(`${group.length - recorded} acceptances came after their lease ran out; recorded as late attempts`);
    };
    // One flush at a time; an acceptance waits at most ACCEPT_FLUSH_MS, by a timer, also while
    // every other lane waits on a slow server (then no send finishes that could flush it).
    let flushing: Promise<void> = Promise.resolve();
    let flushTimer: NodeJS.Timeout | undefined;
    const flushNow = (): Promise<void> => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      flushing = flushing.catch(() => undefined).then(flush);
      return flushing;
    };
    const flushSoon = () => {
      if (accepted.length >= ACCEPT_FLUSH) return flushNow();
      if (accepted.length > 0 && !flushTimer)
        flushTimer = setTimeout(() => {
          flushTimer = undefined;
          flushNow().catch((err: Error) => this.logger.error(`acceptances not recorded yet: ${err.message}`));
        }, ACCEPT_FLUSH_MS);
      return undefined;
    };
    // The lease was taken at the claim; it is renewed before a send once half of it has passed, and
    // a message whose lease another worker took over meanwhile is not sent again here.
    const leaseMs = this.config.outboxLeaseSeconds * 1000;
    let leaseUntil = this.clock.now().toMillis() + leaseMs;
    let held = new Set(claimed.map((m) => m.id));
    let renewing: Promise<void> | undefined;
    const keepLease = async (): Promise<void> => {
      if (renewing) return renewing;
      if (leaseUntil - this.clock.now().toMillis() > leaseMs / 2) return;
      renewing = (async () => {
        const now = this.clock.now();
        held = await this.outbox.renewLeases(this.tx.manager, owner, [...held], {
          now: now.toJSDate(),
          seconds: this.config.outboxLeaseSeconds,
        });
        leaseUntil = now.toMillis() + leaseMs;
      })().finally(() => (renewing = undefined));
      return renewing;
    };
    const byFamily = new Map<string, ClaimedMessage[]>();
    for (const message of claimed) byFamily.set(message.family, [...(byFamily.get(message.family) ?? []), message]);
    // Our relay went down mid-batch: the rest of every family's mail goes back untried.
    let relayDown = false;
    await Promise.allSettled(
      [...byFamily.values()].map(async (queue) => {
        let blocked = false;
        const one = async (message: ClaimedMessage) => {
          try {
            await keepLease();
            if (!held.has(message.id)) {
              this.logger.warn(`message ${message.id}: its lease ran out before it was sent; another worker took it over`);
              return;
            }
            if (relayDown) {
              await this.outbox.returnUnsent(this.tx.manager, message.id, owner);
              return;
            }
            if (blocked) {
              await this.outbox.holdUnsent(this.tx.manager, message.id, owner);
              return;
            }
            const result = await this.attempt(message, owner, accepted);
            if (result?.outcome === 'held') blocked = true;
            if (result?.attemptGivenBack) relayDown = true;
            // By count, or by age: an acceptance never waits long enough for its lease to run out.
            await flushSoon();
          } catch (err) {
            // The row stays `sending`; its lease runs out and it is claimed again (and recorded as such).
            this.logger.error(`message ${message.id}: ${(err as Error).message}`);
          }
        };
        const lane = async (): Promise<void> => {
          for (let message = queue.shift(); message; message = queue.shift()) await one(message);
        };
        await one(queue.shift()!);
        await Promise.allSettled(Array.from({ length: Math.min(queue.length, this.config.smtpPoolSize) }, lane));
      }),
    );
    await flushNow();
  }

  /** Hands one message to its channel: the acceptance, or what the refusal means. */
  private async send(message: ClaimedMessage): Promise<{ acceptance: Acceptance } | { verdict: SendVerdict }> {
    const channel: NotificationChannel = message.channel === 'sms' ? this.smsChannel : this.emailChannel;
    try {
      return { acceptance: await channel.send(message) };
    } catch (err) {
      return { verdict: channel.classify(err) };
    }
  }

  /** Sends one message; refusals (and probes) are recorded at once, plain acceptances collected. */
  private async attempt(message: ClaimedMessage, owner: string, accepted: AcceptedMail[]): Promise<AttemptResult | undefined> {
    if (message.isProbe) return this.deliver(message, owner);
    const startedAt = this.clock.now().toJSDate();
    const sent = await this.send(message);
    if ('verdict' in sent) return this.counted(await this.recordFailure(message, owner, sent.verdict, startedAt));
    this.metrics.mailAttempts.inc({ outcome: 'accepted', category: 'none' });
    const { replyCode, reply } = sent.acceptance;
    accepted.push({
      id: message.id,
      startedAt,
      finishedAt: this.clock.now().toJSDate(),
      replyCode,
      reply,
      acceptance: acceptanceOf(sent.acceptance, this.config.relayTransitMinutes),
    });
    return undefined;
  }

  /** /metrics: every attempt by its outcome and reply category. */
  private counted(result: AttemptResult): AttemptResult {
    this.metrics.mailAttempts.inc({ outcome: result.outcome, category: result.category ?? 'none' });
    return result;
  }

  private recordFailure(message: ClaimedMessage, owner: string, verdict: SendVerdict, startedAt: Date): Promise<AttemptResult> {
    return this.tx.run(async (manager) => {
      // Lock order booking -> circuit -> outbox rows, as the sweeper takes them: no deadlock.
      if (message.bookingId) await this.listener.lockBookings(manager, [message.bookingId]);
      const result = await this.failure(manager, message, verdict, startedAt);
      if (!(await this.outbox.complete(manager, message.id, owner, result)))
        this.logger.warn(`message ${message.id}: lease lost before the result was recorded; another worker owns it`);
      if (message.bookingId) await this.listener.onDeliveryChanged(manager, [message.bookingId], this.clock.now());
      return result;
    });
  }

  claim(owner = this.workerId, limit = this.config.dispatchBatchSize): Promise<ClaimedMessage[]> {
    return this.outbox.claim(this.tx.manager, {
      now: this.clock.now().toJSDate(),
      limit,
      owner,
      leaseSeconds: this.config.outboxLeaseSeconds,
      ratePerMinute: this.config.providerRatePerMinute,
    });
  }

  /**
   * Relay mail that no report can speak for (no DSN on its connection, or a relay that never
   * reports) counts as delivered RELAY_TRANSIT_MINUTES after the relay's 250; its hold's window
   * starts then. Bookings first, then the messages: the lock order of every other writer.
   */
  /** Returns whether the rule covers all relay mail (the relay never reports). */
  async applyTransitRule(): Promise<boolean> {
    // Only our relay leaves mail in transit: elsewhere there is nothing to look for, every round.
    if (this.config.mailMode !== 'relay') return false;
    const now = this.clock.now();
    const forAll = await this.relayStatus.transitRuleForAll();
    const due = await this.outbox.transitRuleDue(this.tx.manager, {
      now: now.toJSDate(),
      transitMinutes: this.config.relayTransitMinutes,
      forAll,
      limit: FAMILY_BATCH,
    });
    if (due.length === 0) return forAll;
    await this.tx.run(async (manager) => {
      await this.listener.lockBookings(
        manager,
        due.map((d) => d.bookingId).filter((id): id is string => id !== null),
      );
      const bookings = await this.outbox.deliverByTransitRule(manager, {
        ids: due.map((d) => d.id),
        transitMinutes: this.config.relayTransitMinutes,
        now: now.toJSDate(),
      });
      await this.listener.onDeliveryChanged(manager, [...new Set(bookings)], now);
    });
    return forAll;
  }

  /** Families the domain table did not know at booking time: MX lookup (cached), else the domain. */
  async resolveFamilies(): Promise<void> {
    const unresolved = await this.outbox.unresolvedFamilies(this.tx.manager, FAMILY_BATCH);
    if (unresolved.length === 0) return;
    const resolved = await Promise.all(
      unresolved.map(async (u) => ({ id: u.id, family: await this.families.familyOf(u.recipient) })),
    );
    await this.outbox.setFamilies(this.tx.manager, resolved);
  }

  /** Sends one message and records its result with its circuit and hold, in one transaction. */
  async deliver(message: ClaimedMessage, owner = this.workerId): Promise<AttemptResult> {
    const startedAt = this.clock.now().toJSDate();
    const sent = await this.send(message);
    const acceptance = 'acceptance' in sent ? sent.acceptance : undefined;
    const verdict = 'verdict' in sent ? sent.verdict : undefined;
    const finishedAt = this.clock.now();
    const recorded = await this.tx.run(async (manager) => {
      if (message.bookingId) await this.listener.lockBookings(manager, [message.bookingId]);
      const result = acceptance
        ? {
            outcome: 'accepted' as const,
            startedAt,
            finishedAt: finishedAt.toJSDate(),
            replyCode: acceptance.replyCode,
            reply: acceptance.reply,
            errorCode: null,
            category: null,
            acceptance: acceptanceOf(acceptance, this.config.relayTransitMinutes),
          }
        : await this.failure(manager, message, verdict!, startedAt);
      // A probe the recipient's MX took closes the circuit. One our relay took waits for the
      // relay's report (delivery-reports), unless no report can come for it.
      const reportWillDecide = acceptance?.acceptedBy === 'relay' && acceptance.reportsRequested && !this.relaySilent;
      if (acceptance && message.isProbe && !reportWillDecide) {
        await this.circuits.applyEvent(manager, message.family, {
          type: 'probe_result',
          messageId: message.id,
          ok: true,
          at: finishedAt.toMillis(),
        });
      }
      // Any answer of our relay ends its outage, if this was its probe.
      if (acceptance && message.isProbe) await this.relayAnswered(manager, message, finishedAt.toMillis());
      const recorded = await this.outbox.complete(manager, message.id, owner, result);
      if (!recorded) this.logger.warn(`message ${message.id}: lease lost before the result was recorded; another worker owns it`);
      if (message.bookingId) await this.listener.onDeliveryChanged(manager, [message.bookingId], this.clock.now());
      return result;
    });
    return this.counted(recorded);
  }

  /** Our relay answered (it took or refused the mail): if the message was its probe, the outage is over. */
  private async relayAnswered(manager: EntityManager, message: ClaimedMessage, at: number): Promise<void> {
    if (!this.throughOurRelay(message)) return;
    if (!(await this.circuits.isPendingProbe(manager, OUR_RELAY_CIRCUIT, message.id))) return;
    await this.circuits.applyEvent(manager, OUR_RELAY_CIRCUIT, { type: 'probe_result', messageId: message.id, ok: true, at });
  }

  /** Mail that needs our sending path (the relay, or in direct mode our DNS resolver): the our-relay circuit's concern. */
  private throughOurRelay(message: ClaimedMessage): boolean {
    return message.channel === 'email' && this.config.mailMode !== 'development';
  }

  /**
   * Our relay could not be reached: its circuit opens (or, for its probe, opens again for longer),
   * nothing more is claimed until it answers, and this mail goes back to the queue with its attempt
   * recorded but not counted.
   */
  private async relayOutage(
    manager: EntityManager,
    message: ClaimedMessage,
    verdict: SendVerdict,
    startedAt: Date,
  ): Promise<AttemptResult> {
    const finishedAt = this.clock.now();
    const at = finishedAt.toMillis();
    const probe = message.isProbe && (await this.circuits.isPendingProbe(manager, OUR_RELAY_CIRCUIT, message.id));
    // To the circuit machinery our unreachable relay is a provider that blocks us.
    await this.circuits.applyEvent(
      manager,
      OUR_RELAY_CIRCUIT,
      probe
        ? { type: 'probe_result', messageId: message.id, ok: false, category: 'provider_block', at }
        : { type: 'reply', category: 'provider_block', at },
    );
    const what = this.config.mailMode === 'direct' ? 'our DNS resolver does not answer' : 'our relay is not reachable';
    this.logger.warn(`${what} (${verdict.errorCode ?? 'no answer'}): sending paused until it answers`);
    return {
      outcome: 'deferred',
      startedAt,
      finishedAt: finishedAt.toJSDate(),
      replyCode: null,
      reply: verdict.reply,
      errorCode: verdict.errorCode,
      category: verdict.category,
      nextAttemptAt: finishedAt.toJSDate(),
      attemptGivenBack: true,
    };
  }

  /** What a refusal means for this message and for its provider family (send-outcome.ts decides). */
  private async failure(
    manager: EntityManager,
    message: ClaimedMessage,
    verdict: SendVerdict,
    startedAt: Date,
  ): Promise<AttemptResult> {
    if (this.throughOurRelay(message) && ourSideDown(this.config.mailMode, verdict))
      return this.relayOutage(manager, message, verdict, startedAt);
    if (message.isProbe && verdict.replyCode !== null) await this.relayAnswered(manager, message, this.clock.now().toMillis());
    const finishedAt = this.clock.now();
    const event = circuitEventOfRefusal(verdict, message, finishedAt.toMillis());
    const circuit = event ? await this.circuits.applyEvent(manager, message.family, event) : undefined;
    const outcome = outcomeOfRefusal({
      verdict,
      familyBlocked: circuit !== undefined && circuit.state.state !== 'closed',
      attempts: message.attempts,
      maxAttempts: this.config.outboxMaxAttempts,
    });
    const retryAt = () =>
      finishedAt.plus({
        seconds: retryDelaySeconds(message.attempts, {
          baseSeconds: this.config.retryBaseSeconds,
          maxSeconds: this.config.retryMaxSeconds,
        }),
      });
    return {
      outcome,
      startedAt,
      finishedAt: finishedAt.toJSDate(),
      replyCode: verdict.replyCode,
      reply: verdict.reply,
      errorCode: verdict.errorCode,
      category: verdict.category,
      ...(outcome === 'deferred' ? { nextAttemptAt: retryAt().toJSDate() } : {}),
    };
  }
}
