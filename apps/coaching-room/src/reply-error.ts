/** A `{status:"error", response:{reason}}` reply (or a push timeout) as a rejection. */
export class ReplyError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}
