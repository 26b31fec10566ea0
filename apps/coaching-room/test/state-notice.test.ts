import { stateNoticeText } from '../src/state-notice';

describe('stateNoticeText', () => {
  it('words a status change, with the step when there is one', () => {
    expect(stateNoticeText({ status: 'paused' })).toBe('Session paused');
    expect(stateNoticeText({ status: 'active', current_step: 'analysis' })).toBe('Session is active · step: Analysis');
    expect(stateNoticeText({ status: 'active', current_step: 'drills' })).toBe('Session is active · step: drills');
  });

  it('is null without a status', () => {
    expect(stateNoticeText({ current_step: 'upload' })).toBeNull();
  });
});
