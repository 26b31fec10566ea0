import { MESSAGE_EVENTS, messageTypeOf, storedMessageFrom } from './broadcast-message';
import type { AuthorRole, Message, SessionJoinReply, SessionState, SessionStatus } from './contract-types';
import { simulateAnalysis } from './server-http';
import type { Identity } from './identity';
import { JobWatcher } from './job-watch';
import type { Member } from './presence-members';
import { describeReason } from './reasons';
import { ReplyError } from './reply-error';
import { RoomConnection, type RoomEvents } from './room-connection';
import { Timeline } from './timeline';
import type { TokenSource } from './token-source';
import { CoachControls } from './views/coach-controls';
import { Composer } from './views/composer';
import { ConnectionStatus } from './views/connection-status';
import { byId } from './views/dom';
import { JobProgressView } from './views/job-progress';
import type { Notices } from './views/notices';
import { PresenceList } from './views/presence-list';
import { SessionStatusView } from './views/session-status';
import { TimelineView } from './views/timeline-view';
import { TypingIndicator } from './views/typing-indicator';

export interface RoomOptions {
  identity: Identity;
  sessionId: string;
  tokens: TokenSource;
  /** the server hands out dev tokens, so it also offers the simulated AI back end */
  devMode: boolean;
  notices: Notices;
  /** the room closed (left, refused or unreachable); `error` says why */
  onExit(error?: string): void;
}

/** One joined session: wires the connection's events to the views and the views' actions to pushes. */
export class RoomController implements RoomEvents {
  private readonly view = byId('room-view');
  private readonly simulateButton = byId<HTMLButtonElement>('simulate-analysis');
  private readonly leaveButton = byId<HTMLButtonElement>('leave-room');
  private readonly timeline = new Timeline();
  private readonly names = new Map<string, string>();
  private readonly connection: RoomConnection;
  private readonly jobs: JobWatcher;
  private readonly status = new ConnectionStatus();
  private readonly sessionView = new SessionStatusView();
  private readonly presenceList = new PresenceList();
  private readonly jobView = new JobProgressView();
  private readonly timelineView: TimelineView;
  private readonly composer: Composer;
  private readonly controls: CoachControls;
  private readonly typingView: TypingIndicator;
  private session: SessionState | null = null;
  private live = false;
  private closed = false;
  private readonly onSimulate = () => void this.simulate();
  private readonly onLeave = () => this.close();

  constructor(private readonly opts: RoomOptions) {
    const { identity } = opts;
    this.names.set(identity.userId, identity.name);
    this.connection = new RoomConnection({
      sessionId: opts.sessionId,
      tokens: opts.tokens,
      cursor: () => this.timeline.lastSeenId,
      events: this,
    });
    this.jobs = new JobWatcher(this.connection.socket, (jobs) => this.jobView.render(jobs));
    this.timelineView = new TimelineView({
      edit: (id, text) => this.attempt('message:edit', { id, message: text }),
      remove: (id) => this.attempt('message:delete', { id }),
    });
    this.composer = new Composer({
      send: (text, type) => this.attempt('chat:new', { message: text, type }),
      typing: (typing) => this.connection.send('typing', { typing }),
    });
    this.controls = new CoachControls(async (status, currentStep) => {
      await this.control(status, currentStep);
    });
    this.typingView = new TypingIndicator((userId) => this.names.get(userId) ?? userId);
  }

  start(): void {
    const { identity } = this.opts;
    byId('room-me').textContent = `${identity.name} · ${identity.role === 'coach' ? 'Coach' : 'Student'}`;
    this.view.hidden = false;
    this.view.dataset.role = identity.role;
    this.composer.setRole(identity.role);
    this.controls.setVisible(identity.role === 'coach');
    this.simulateButton.hidden = !this.opts.devMode;
    byId('simulate-hint').hidden = !this.opts.devMode;
    this.simulateButton.addEventListener('click', this.onSimulate);
    this.leaveButton.addEventListener('click', this.onLeave);
    this.status.connecting();
    this.refresh();
    this.connection.start();
  }

  /** Leaves the session and hands the page back to the join form. */
  close(error?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.stop();
    this.jobs.stop();
    this.typingView.clear();
    this.simulateButton.removeEventListener('click', this.onSimulate);
    this.leaveButton.removeEventListener('click', this.onLeave);
    this.timelineView.reset();
    this.presenceList.reset();
    this.jobView.clear();
    this.composer.reset();
    this.status.idle();
    this.view.hidden = true;
    this.opts.onExit(error);
  }

  // ---- RoomEvents (from the connection) ----

  joined(reply: SessionJoinReply, rejoin: boolean): void {
    this.session = reply.session;
    this.rememberParticipants(reply.session);
    let added = 0;
    for (const m of reply.messages) if (this.timeline.add(m)) added += 1;
    this.live = true;
    this.status.live();
    if (rejoin) this.status.resynced(added, reply.recovered);
    this.refresh();
    if (!rejoin) {
      this.timelineView.scrollToEnd();
      this.composer.focus();
    }
    // More was missed than one reply holds: ask again from the newest message now held.
    if (!reply.recovered) this.connection.fetchMore();
  }

  joinRefused(reason: string): void {
    this.close(`Could not join session "${this.opts.sessionId}". ${describeReason(reason)}`);
  }

  connectFailed(): void {
    this.close(
      this.opts.tokens.canRefresh
        ? 'Could not connect to the server. Please check that it is running and try again.'
        : 'Could not connect. The server may be down, or it refused the token.',
    );
  }

  connectionLost(reason: string | null): void {
    if (this.closed) return;
    this.live = false;
    this.status.lost(reason);
    this.typingView.clear();
    this.refresh();
  }

  messageAdded(message: Message): void {
    if (this.timeline.add(message)) this.refresh();
  }

  messageUpdated(message: Message): void {
    if (this.timeline.update(message)) this.refresh();
  }

  messageDeleted(id: string): void {
    this.timelineView.dropModesFor(id);
    if (this.timeline.remove(id)) this.refresh();
  }

  sessionState(state: SessionState): void {
    const before = this.session;
    // A control's reply and its broadcast both land here; an older state must not undo a newer one.
    if (before && state.updated_at < before.updated_at) return;
    this.session = state;
    this.rememberParticipants(state);
    const changed = before !== null && (before.status !== state.status || before.current_step !== state.current_step);
    // The stored session_state row is not broadcast, so a live notice stands in for it until a catch-up brings it.
    if (changed && !this.newestRowStates(state)) {
      this.timeline.addLive('session_state', { status: state.status, current_step: state.current_step }, Date.now());
    }
    this.refresh();
  }

  private newestRowStates(state: SessionState): boolean {
    const newest = this.timeline.newestMessage();
    return newest?.type === 'session_state' && newest.meta.status === state.status && (newest.meta.current_step ?? null) === state.current_step;
  }

  typing(userId: string, typing: boolean): void {
    if (userId !== this.opts.identity.userId) this.typingView.set(userId, typing);
  }

  presence(members: Member[]): void {
    for (const m of members) this.names.set(m.userId, m.name);
    this.presenceList.render(members, this.opts.identity.userId);
    this.typingView.render();
    this.refresh();
  }

  broadcastMessage(event: string, payload: Record<string, unknown>): void {
    const fallbackType = MESSAGE_EVENTS[event] ?? 'system_notice';
    const stored = storedMessageFrom(payload, this.opts.sessionId, fallbackType);
    if (stored) {
      if (!this.timeline.add(stored)) return;
    } else {
      this.timeline.addLive(messageTypeOf(payload, fallbackType), payload, Date.now());
    }
    this.refresh();
  }

  analysisStarted(jobId: string): void {
    this.jobs.watch(jobId);
  }

  // ---- actions ----

  /** Sends a push; on refusal tells the user why and resolves false. */
  private async attempt(event: string, payload: object): Promise<boolean> {
    try {
      await this.connection.request(event, payload);
      return true;
    } catch (err) {
      this.opts.notices.show(describeReason(err instanceof ReplyError ? err.reason : 'unknown'));
      return false;
    }
  }

  private async control(status: SessionStatus, currentStep?: string): Promise<void> {
    const payload = currentStep === undefined ? { status } : { status, current_step: currentStep };
    try {
      const state = await this.connection.request<SessionState>('session:control', payload);
      this.sessionState(state);
    } catch (err) {
      this.opts.notices.show(describeReason(err instanceof ReplyError ? err.reason : 'unknown'));
    }
  }

  private async simulate(): Promise<void> {
    this.simulateButton.disabled = true;
    try {
      this.jobs.watch(await simulateAnalysis(this.opts.sessionId));
    } catch (err) {
      this.opts.notices.show(err instanceof Error ? err.message : 'The analysis could not start.');
    } finally {
      this.refresh();
    }
  }

  private rememberParticipants(state: SessionState): void {
    if (state.coach) this.names.set(state.coach.id, state.coach.name);
    if (state.student) this.names.set(state.student.id, state.student.name);
  }

  private nameOf(authorId: string, role: AuthorRole): string {
    if (role === 'ai') return 'AI coach';
    if (role === 'system') return 'System';
    return this.names.get(authorId) ?? authorId;
  }

  /** Re-derives every view from the current state. */
  private refresh(): void {
    const { identity, sessionId } = this.opts;
    const ended = this.session?.status === 'ended';
    this.view.dataset.status = this.session?.status ?? '';
    // While disconnected the presence list is only what was true when the link dropped.
    this.presenceList.setStale(!this.live);
    this.sessionView.render(sessionId, this.session);
    this.controls.update(this.session, this.live);
    this.composer.setEnabled(
      this.live && !ended,
      ended ? 'This session has ended. You can still read the conversation.' : this.live ? '' : 'Waiting for the connection…',
    );
    this.simulateButton.disabled = !this.live || ended;
    this.timelineView.render(this.timeline.entries(), {
      selfId: identity.userId,
      selfRole: identity.role,
      locked: !this.live || ended,
      nameOf: (id, role) => this.nameOf(id, role),
    });
  }
}
