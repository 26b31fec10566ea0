import type { SessionState } from '../contract-types';
import { stepLabel } from '../state-notice';
import { byId } from './dom';

const STATUS_LABEL: Record<string, string> = {
  waiting: 'Waiting for the coach to start',
  active: 'Active',
  paused: 'Paused',
  ended: 'Ended',
};


/** The session's status and step, the same for coach and student. */
export class SessionStatusView {
  private readonly status = byId('session-status');
  private readonly step = byId('session-step');
  private readonly coach = byId('session-coach');
  private readonly student = byId('session-student');
  private readonly sessionId = byId('session-id-label');

  render(sessionId: string, state: SessionState | null): void {
    this.sessionId.textContent = sessionId;
    const status = state?.status ?? '';
    this.status.dataset.status = status;
    this.status.textContent = state ? (STATUS_LABEL[status] ?? status) : '…';
    this.step.textContent = state?.current_step ? stepLabel(state.current_step) : 'Not set';
    this.coach.textContent = state?.coach?.name ?? 'not joined yet';
    this.student.textContent = state?.student?.name ?? 'not joined yet';
  }
}
