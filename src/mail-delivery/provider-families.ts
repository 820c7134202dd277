import { resolveMx } from 'node:dns/promises';

/**
 * Which mail provider (operator of the receiving servers) an address belongs to. Providers
 * throttle and block per sending IP across all their brands, so delivery decisions (pause,
 * slow down) are made per family, not per domain.
 *
 * Well-known values: 'united-internet' | 'telekom' | 'google' | 'microsoft' | 'yahoo' | 'apple'
 * | 'freenet' | 'posteo' | 'mailbox-org' | 'vodafone' | 'proton' | 'tuta'. For any other
 * domain the family is the (lower-case) domain itself.
 */
export type ProviderFamily = string;

const UNITED_INTERNET: ProviderFamily = 'united-internet';

/** Domains of the big mailbox providers: a fast path that needs no DNS. */
export const BUILT_IN_DOMAIN_FAMILIES: Record<string, ProviderFamily> = {
  // GMX, Web.de, mail.com and 1&1/IONOS run the same "Nemesis" servers and share block decisions.
  'gmx.de': UNITED_INTERNET,
  'gmx.net': UNITED_INTERNET,
  'gmx.at': UNITED_INTERNET,
  'gmx.ch': UNITED_INTERNET,
  'gmx.com': UNITED_INTERNET,
  'gmx.eu': UNITED_INTERNET,
  'gmx.fr': UNITED_INTERNET,
  'gmx.es': UNITED_INTERNET,
  'gmx.it': UNITED_INTERNET,
  'gmx.co.uk': UNITED_INTERNET,
  'gmx.us': UNITED_INTERNET,
  'gmx.info': UNITED_INTERNET,
  'gmx.biz': UNITED_INTERNET,
  'gmx.org': UNITED_INTERNET,
  'gmx.li': UNITED_INTERNET,
  'gmx.se': UNITED_INTERNET,
  'gmx.tm': UNITED_INTERNET,
  'web.de': UNITED_INTERNET,
  'mail.com': UNITED_INTERNET,
  // mail.com's vanity domains
  'email.com': UNITED_INTERNET,
  'usa.com': UNITED_INTERNET,
  'post.com': UNITED_INTERNET,
  'consultant.com': UNITED_INTERNET,
  'myself.com': UNITED_INTERNET,
  'dr.com': UNITED_INTERNET,
  'engineer.com': UNITED_INTERNET,
  'europe.com': UNITED_INTERNET,
  'asia.com': UNITED_INTERNET,
  'techie.com': UNITED_INTERNET,
  'writeme.com': UNITED_INTERNET,
  'iname.com': UNITED_INTERNET,
  'cheerful.com': UNITED_INTERNET,
  'accountant.com': UNITED_INTERNET,
  'doctor.com': UNITED_INTERNET,
  'lawyer.com': UNITED_INTERNET,
  '1und1.de': UNITED_INTERNET,
  'online.de': UNITED_INTERNET,
  'onlinehome.de': UNITED_INTERNET,
  'ionos.de': UNITED_INTERNET,
  'ionos.com': UNITED_INTERNET,

  't-online.de': 'telekom',
  'magenta.de': 'telekom',

  'gmail.com': 'google',
  'googlemail.com': 'google',

  'outlook.com': 'microsoft',
  'outlook.de': 'microsoft',
  'hotmail.com': 'microsoft',
  'hotmail.de': 'microsoft',
  'hotmail.co.uk': 'microsoft',
  'hotmail.fr': 'microsoft',
  'live.com': 'microsoft',
  'live.de': 'microsoft',
  'live.at': 'microsoft',
  'live.co.uk': 'microsoft',
  'msn.com': 'microsoft',
  'windowslive.com': 'microsoft',

  'yahoo.com': 'yahoo',
  'yahoo.de': 'yahoo',
  'yahoo.co.uk': 'yahoo',
  'yahoo.fr': 'yahoo',
  'ymail.com': 'yahoo',
  'rocketmail.com': 'yahoo',
  // AOL mail runs on Yahoo's servers
  'aol.com': 'yahoo',
  'aol.de': 'yahoo',
  'aim.com': 'yahoo',

  'icloud.com': 'apple',
  'me.com': 'apple',
  'mac.com': 'apple',

  'freenet.de': 'freenet',

  'posteo.de': 'posteo',
  'posteo.net': 'posteo',
  'posteo.at': 'posteo',
  'posteo.ch': 'posteo',
  'posteo.eu': 'posteo',
  'posteo.org': 'posteo',

  'mailbox.org': 'mailbox-org',

  // Arcor mailboxes were moved to Vodafone
  'arcor.de': 'vodafone',
  'vodafonemail.de': 'vodafone',

  'proton.me': 'proton',
  'protonmail.com': 'proton',
  'protonmail.ch': 'proton',
  'pm.me': 'proton',

  'tutanota.com': 'tuta',
  'tutanota.de': 'tuta',
  'tuta.io': 'tuta',
  'tutamail.com': 'tuta',
};

/**
 * MX host suffixes of the providers: a custom domain whose MX points at GMX or Microsoft 365
 * is throttled and blocked together with that provider's own domains.
 */
export const BUILT_IN_MX_SUFFIXES: Array<{ suffix: string; family: ProviderFamily }> = [
  { suffix: '.gmx.net', family: UNITED_INTERNET },
  { suffix: '.gmx.com', family: UNITED_INTERNET },
  { suffix: '.web.de', family: UNITED_INTERNET },
  { suffix: '.mail.com', family: UNITED_INTERNET },
  { suffix: '.kundenserver.de', family: UNITED_INTERNET },
  { suffix: '.ionos.de', family: UNITED_INTERNET },
  { suffix: '.ionos.com', family: UNITED_INTERNET },
  { suffix: '.1and1.com', family: UNITED_INTERNET },
  { suffix: '.t-online.de', family: 'telekom' },
  { suffix: '.google.com', family: 'google' },
  { suffix: '.googlemail.com', family: 'google' },
  { suffix: '.protection.outlook.com', family: 'microsoft' },
  { suffix: '.outlook.com', family: 'microsoft' },
  { suffix: '.hotmail.com', family: 'microsoft' },
  { suffix: '.yahoodns.net', family: 'yahoo' },
  { suffix: '.icloud.com', family: 'apple' },
  { suffix: '.freenet.de', family: 'freenet' },
  { suffix: '.posteo.de', family: 'posteo' },
  { suffix: '.mailbox.org', family: 'mailbox-org' },
  { suffix: '.vodafonemail.de', family: 'vodafone' },
  { suffix: '.protonmail.ch', family: 'proton' },
  { suffix: '.tutanota.de', family: 'tuta' },
];

/** Lower-case, no surrounding blanks, no trailing root dot ("GMX.de." and "gmx.de" are one domain). */
export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/\.+$/, '');
}

/** The domain of an address, or the input itself when it is already a domain. */
export function domainOf(emailOrDomain: string): string {
  const at = emailOrDomain.lastIndexOf('@');
  return normalizeDomain(at >= 0 ? emailOrDomain.slice(at + 1) : emailOrDomain);
}

/** Family from the domain tables alone (no DNS); overrides (from configuration) win. */
export function familyOfDomain(domain: string, overrides?: Record<string, ProviderFamily>): ProviderFamily | undefined {
  const normalized = domainOf(domain);
  if (!normalized) return undefined;
  if (overrides) {
    for (const [key, family] of Object.entries(overrides)) {
      if (normalizeDomain(key) === normalized) return family;
    }
  }
  return Object.prototype.hasOwnProperty.call(BUILT_IN_DOMAIN_FAMILIES, normalized)
    ? BUILT_IN_DOMAIN_FAMILIES[normalized]
    : undefined;
}

/** Family of a receiving server by its host name; extra suffixes (from configuration) are tried first. */
export function familyOfMxHost(
  host: string,
  extraSuffixes: ReadonlyArray<{ suffix: string; family: ProviderFamily }> = [],
): ProviderFamily | undefined {
  const normalized = normalizeDomain(host);
  if (!normalized) return undefined;
  for (const { suffix, family } of [...extraSuffixes, ...BUILT_IN_MX_SUFFIXES]) {
    const bare = normalizeDomain(suffix).replace(/^\.+/, '');
    // Matched on a label boundary: ".mail.com" must not claim "x.gmail.com".
    if (bare && (normalized === bare || normalized.endsWith('.' + bare))) return family;
  }
  return undefined;
}

export interface MxResolver {
  resolveMx(domain: string): Promise<Array<{ exchange: string; priority: number }>>;
}

/** The operating system's resolver, for production wiring. */
export const systemMxResolver: MxResolver = { resolveMx: (domain) => resolveMx(domain) };

export interface ProviderFamilyResolverOptions {
  resolver: MxResolver;
  overrides?: Record<string, ProviderFamily>;
  extraMxSuffixes?: ReadonlyArray<{ suffix: string; family: ProviderFamily }>;
  /** How long an MX answer (also "no provider matched" and "no MX") is trusted. Default 1 h. */
  ttlMs?: number;
  /** Longest wait for the resolver; a send must not hang on DNS. Default 2 s. */
  timeoutMs?: number;
  /** How long a failed or timed-out lookup is remembered, so a dead resolver is not hammered. Default 1 min (at most ttlMs). */
  failureTtlMs?: number;
  /** Cache size bound; the oldest entries go first. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

interface CacheEntry {
  family: ProviderFamily | undefined;
  expiresAt: number;
}

type Lookup = { outcome: 'answer'; family: ProviderFamily | undefined } | { outcome: 'failed' };

const TIMED_OUT = Symbol('timed-out');

/** Errors meaning "this domain definitely has no MX": a real answer, cached like one. */
const NO_MX_CODES = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME']);

/**
 * Family of an address: the domain tables first, then the domain's MX hosts (cached), else
 * the domain itself. Never throws: not knowing the provider only means a coarser throttle.
 */
export class ProviderFamilyResolver {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ProviderFamily | undefined>>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly failureTtlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly opts: ProviderFamilyResolverOptions) {
    this.ttlMs = opts.ttlMs ?? 60 * 60 * 1000;
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.failureTtlMs = Math.min(opts.failureTtlMs ?? 60 * 1000, this.ttlMs);
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async familyOf(emailOrDomain: string): Promise<ProviderFamily> {
    const domain = domainOf(emailOrDomain);
    if (!domain) return domain;
    const known = familyOfDomain(domain, this.opts.overrides);
    if (known) return known;

    const cached = this.cache.get(domain);
    if (cached && cached.expiresAt > this.now()) return cached.family ?? domain;

    // Concurrent sends to one domain share a single DNS query.
    let pending = this.inFlight.get(domain);
    if (!pending) {
      pending = this.lookupAndCache(domain).finally(() => this.inFlight.delete(domain));
      this.inFlight.set(domain, pending);
    }
    return (await pending) ?? domain;
  }

  private async lookupAndCache(domain: string): Promise<ProviderFamily | undefined> {
    const result = await this.lookup(domain);
    const family = result.outcome === 'answer' ? result.family : undefined;
    const ttl = result.outcome === 'answer' ? this.ttlMs : this.failureTtlMs;
    this.remember(domain, { family, expiresAt: this.now() + ttl });
    return family;
  }

  private async lookup(domain: string): Promise<Lookup> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
      // A slow resolver must not keep the process (or a test run) alive.
      timer.unref?.();
    });
    try {
      const records = await Promise.race([this.opts.resolver.resolveMx(domain), timeout]);
      if (records === TIMED_OUT) return { outcome: 'failed' };
      return { outcome: 'answer', family: this.familyOfRecords(records) };
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      return typeof code === 'string' && NO_MX_CODES.has(code) ? { outcome: 'answer', family: undefined } : { outcome: 'failed' };
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  private familyOfRecords(records: Array<{ exchange: string; priority: number }>): ProviderFamily | undefined {
    if (!Array.isArray(records)) return undefined;
    // Most preferred first: a backup MX at some provider says little about where mail lands.
    const byPreference = [...records].sort((a, b) => (a?.priority ?? 0) - (b?.priority ?? 0));
    for (const record of byPreference) {
      if (typeof record?.exchange !== 'string') continue;
      const family = familyOfMxHost(record.exchange, this.opts.extraMxSuffixes);
      if (family) return family;
    }
    return undefined;
  }

  private remember(domain: string, entry: CacheEntry): void {
    this.cache.delete(domain);
    this.cache.set(domain, entry);
    // Map keeps insertion order, so the first key is the oldest entry.
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}

const PROVIDER_LABELS: Array<[RegExp, string]> = [
  [/^gmx\./, 'GMX'],
  [/^web\.de$/, 'WEB.DE'],
  [/^(mail|email|usa|post)\.com$/, 'mail.com'],
  [/^(t-online|magenta)\.de$/, 'T-Online'],
  [/^(gmail|googlemail)\.com$/, 'Gmail'],
  [/^(outlook|hotmail|live|msn)\./, 'Outlook'],
  [/^(yahoo|ymail)\./, 'Yahoo'],
  [/^(icloud|me|mac)\.com$/, 'iCloud'],
  [/^freenet\.de$/, 'freenet'],
];

/** The name a citizen knows their mail provider by (GMX, WEB.DE, Gmail …), else their domain. */
export function providerLabel(emailOrDomain: string): string {
  const normalized = domainOf(emailOrDomain);
  return PROVIDER_LABELS.find(([re]) => re.test(normalized))?.[1] ?? normalized;
}
