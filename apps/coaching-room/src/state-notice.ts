const STATUS_NOTICE: Record<string, string> = {
  waiting: 'Session is waiting to start',
  active: 'Session is active',
  paused: 'Session paused',
  ended: 'Session ended',
};

const STEP_LABEL: Record<string, string> = {
  upload: 'Upload',
  analysis: 'Analysis',
  feedback: 'Feedback',
};

export function stepLabel(step: string): string {
  return STEP_LABEL[step] ?? step;
}

/**
 * The words of a status-change notice, from the status and step alone, so a
 * live notice and the stored `session_state` row that later replaces it read
 * the same. Null when the data has no status.
 */
export function stateNoticeText(data: Record<string, unknown>): string | null {
  const status = data.status;
  if (typeof status !== 'string') return null;
  const base = STATUS_NOTICE[status] ?? `Session ${status}`;
  const step = data.current_step;
  return typeof step === 'string' && step !== '' ? `${base} · step: ${stepLabel(step)}` : base;
}
