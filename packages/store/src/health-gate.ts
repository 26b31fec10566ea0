import type { StoreLogger } from './backend';
import { StoreUnavailableError } from './errors';

/**
 * Fails fast while the database is known to be down. Without it, every
 * operation queued behind the first failure would wait out its own timeout,
 * and a client pushing during an outage would hear `unavailable` long after
 * the promised 5 s. The first failure closes the gate; a background probe
 * opens it again as soon as the database answers.
 */
export class HealthGate {
  private down = false;
  private stopped = false;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly logger: StoreLogger,
    private readonly intervalMs = 250,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  check(): void {
    if (this.down) throw new StoreUnavailableError('store is unavailable (waiting for the database to come back)');
  }

  /** Called with every operation's failure; only unavailability closes the gate. */
  failed(err: unknown): void {
    if (this.stopped || this.down || !(err instanceof StoreUnavailableError)) return;
    this.down = true;
    this.logger.warn({ err: err.message }, 'store unavailable: failing fast until the database answers again');
    void this.probeUntilUp();
  }

  stop(): void {
    this.stopped = true;
  }

  private async probeUntilUp(): Promise<void> {
    while (this.down && !this.stopped) {
      await new Promise((r) => setTimeout(r, this.intervalMs).unref());
      try {
        await this.probe();
        this.down = false;
        this.logger.info({}, 'store reachable again');
      } catch {
        /* still down */
      }
    }
  }
}
