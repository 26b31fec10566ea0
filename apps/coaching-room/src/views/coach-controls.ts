import type { SessionState, SessionStatus } from '../contract-types';
import { byId } from './dom';

export type ControlAction = (status: SessionStatus, currentStep?: string) => Promise<void>;

/**
 * Start, pause, resume, end and the current step. Only rendered for coaches
 * (the server refuses students anyway); a button is enabled only when its
 * transition is allowed from the current status, and everything is disabled
 * once the session has ended.
 */
export class CoachControls {
  private readonly section = byId('coach-controls');
  private readonly start = byId<HTMLButtonElement>('control-start');
  private readonly pause = byId<HTMLButtonElement>('control-pause');
  private readonly resume = byId<HTMLButtonElement>('control-resume');
  private readonly end = byId<HTMLButtonElement>('control-end');
  private readonly stepSelect = byId<HTMLSelectElement>('step-select');
  private readonly stepApply = byId<HTMLButtonElement>('step-apply');
  private state: SessionState | null = null;
  private connected = false;
  private busy = false;

  constructor(private readonly act: ControlAction) {
    this.start.addEventListener('click', () => this.run('active'));
    this.resume.addEventListener('click', () => this.run('active'));
    this.pause.addEventListener('click', () => this.run('paused'));
    this.end.addEventListener('click', () => this.run('ended'));
    this.stepApply.addEventListener('click', () => {
      if (this.state) void this.run(this.state.status, this.stepSelect.value);
    });
  }

  setVisible(visible: boolean): void {
    this.section.hidden = !visible;
  }

  update(state: SessionState | null, connected: boolean): void {
    this.state = state;
    this.connected = connected;
    if (state?.current_step && document.activeElement !== this.stepSelect) {
      const known = [...this.stepSelect.options].some((o) => o.value === state.current_step);
      if (known) this.stepSelect.value = state.current_step;
    }
    this.refresh();
  }

  private refresh(): void {
    const status = this.state?.status;
    const usable = this.connected && !this.busy && status !== undefined && status !== 'ended';
    this.start.disabled = !(usable && status === 'waiting');
    this.pause.disabled = !(usable && status === 'active');
    this.resume.disabled = !(usable && status === 'paused');
    this.end.disabled = !usable;
    this.stepSelect.disabled = !usable;
    this.stepApply.disabled = !usable;
    this.section.dataset.ended = String(status === 'ended');
  }

  private async run(status: SessionStatus, currentStep?: string): Promise<void> {
    this.busy = true;
    this.refresh();
    try {
      await this.act(status, currentStep);
    } finally {
      this.busy = false;
      this.refresh();
    }
  }
}
