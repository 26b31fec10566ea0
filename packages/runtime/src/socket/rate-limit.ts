export interface RateLimitOptions {
  /** sustained inbound events per second */
  readonly perSecond: number;
  /** bucket size: how many may arrive at once */
  readonly burst: number;
  /**
   * refusals tolerated within one second before the client counts as
   * abusive and its socket is closed (default: burst)
   */
  readonly maxRefusalsPerSecond?: number;
}

export type RateDecision = 'allow' | 'refuse' | 'disconnect';

/**
 * A token bucket per socket, kept as three numbers so it costs no objects.
 * Excess events are refused (`rate_limited`); a client that keeps sending
 * while refused is disconnected.
 */
export class InboundRateLimit {
  private tokens: number;
  private last: number;
  private refusals = 0;
  private refusalWindowStart = 0;

  /** `spent`: tokens already used before the bucket was made */
  constructor(
    private readonly opts: RateLimitOptions,
    spent = 0,
  ) {
    this.tokens = opts.burst - spent;
    this.last = Date.now();
  }

  take(now = Date.now()): RateDecision {
    const elapsed = now - this.last;
    if (elapsed > 0) {
      this.tokens = Math.min(this.opts.burst, this.tokens + (elapsed * this.opts.perSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 'allow';
    }
    if (now - this.refusalWindowStart > 1000) {
      this.refusalWindowStart = now;
      this.refusals = 0;
    }
    this.refusals++;
    return this.refusals > (this.opts.maxRefusalsPerSecond ?? this.opts.burst) ? 'disconnect' : 'refuse';
  }
}
