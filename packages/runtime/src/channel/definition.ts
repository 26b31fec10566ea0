import type { ChannelContext } from './context';
import type { JoinResult, Reply } from './reply';

/** Why a channel ended; passed to `terminate`. */
export type TerminateReason =
  | 'left' // phx_leave
  | 'closed' // the transport went away
  | 'duplicate_join' // the same topic was joined again on this socket
  | 'crash' // a handler threw
  | 'stopped' // the channel called ctx.stop()
  | 'disconnected' // forced disconnect of the socket id
  | 'shutdown'; // the node is draining

/** Handler results: a reply, nothing (no reply), or a promise of either. */
export type HandlerResult = Reply | void | Promise<Reply | void>;

export type EventHandler<A> = (payload: unknown, ctx: ChannelContext<A>) => HandlerResult;

/**
 * A channel module, in Phoenix's terms. `topic` is an exact topic or a
 * prefix ending in `*` ("session:*"); the first matching definition wins.
 *
 * - `join` authorizes: return ok(reply) or error({reason}). Pushes made
 *   inside join are sent after the join reply.
 * - `afterJoin` runs once the reply is on the wire (e.g. presence).
 * - `events[event]` handles a client push; an event with no handler goes to
 *   `handleIn`, and with neither the channel crashes as Phoenix's would.
 * - `intercept` lists broadcast events routed through `handleOut` for each
 *   subscriber instead of the shared pre-encoded frame.
 * - `terminate` runs exactly once when the channel ends for any reason.
 */
export interface ChannelDefinition<A = unknown> {
  readonly topic: string;
  join(topic: string, params: unknown, ctx: ChannelContext<A>): JoinResult | Promise<JoinResult>;
  afterJoin?(ctx: ChannelContext<A>): void | Promise<void>;
  events?: Readonly<Record<string, EventHandler<A>>>;
  handleIn?(event: string, payload: unknown, ctx: ChannelContext<A>): HandlerResult;
  intercept?: readonly string[];
  /**
   * The channel subscribes before `join` runs, so nothing broadcast while
   * the join reads its state is lost; those broadcasts are held and sent
   * after the reply. This filter drops the ones the reply already contains
   * (e.g. messages the join's history query returned). Default: keep all.
   * `payload` is shared and read-only, as for `handleOut`.
   */
  keepHeldBroadcast?(event: string, payload: unknown, ctx: ChannelContext<A>): boolean;
  /**
   * How long after the join live broadcasts still go through
   * `keepHeldBroadcast` (ms, default 0). A database can make a row visible
   * to the join's query before the writer hears its commit and broadcasts
   * it, so the broadcast may arrive just after the reply that contained it.
   */
  replayGuardMs?: number;
  /** `payload` is shared with the topic's other subscribers on this node: read it, do not change it */
  handleOut?(event: string, payload: unknown, ctx: ChannelContext<A>): void;
  terminate?(reason: TerminateReason, ctx: ChannelContext<A>): void | Promise<void>;
}

export function defineChannel<A = unknown>(def: ChannelDefinition<A>): ChannelDefinition<A> {
  return def;
}
