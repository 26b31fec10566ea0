/**
 * The socket's token. phoenix.js reads its params function on every
 * (re)connect, so replacing the token here is enough for the next attempt to
 * use it. A dev-mode server signs with a secret made at start-up, so after a
 * server restart the old token is refused; fetching a new one after a failed
 * connect lets the page come back by itself.
 */
export class TokenSource {
  private inFlight: Promise<boolean> | null = null;

  constructor(
    private token: string,
    private readonly fetchFresh: (() => Promise<string>) | null,
  ) {}

  current(): string {
    return this.token;
  }

  get canRefresh(): boolean {
    return this.fetchFresh !== null;
  }

  /**
   * Fetches a fresh token unless a fetch is already running; resolves true
   * when a new token came. Failures (server still down) are left for the
   * next attempt.
   */
  refresh(): Promise<boolean> {
    if (!this.fetchFresh) return Promise.resolve(false);
    if (!this.inFlight) {
      const fetchFresh = this.fetchFresh;
      this.inFlight = fetchFresh()
        .then((token) => {
          const renewed = token !== this.token;
          this.token = token;
          return renewed;
        })
        .catch(() => false)
        .finally(() => {
          this.inFlight = null;
        });
    }
    return this.inFlight;
  }
}
