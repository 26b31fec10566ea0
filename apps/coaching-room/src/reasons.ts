/** Server error reasons (CONTRACT §5) in words a coach or student can act on. */
const REASONS: Record<string, string> = {
  session_ended: 'This session has ended, so it no longer accepts changes.',
  forbidden: 'Your role is not allowed to do that in this session.',
  rate_limited: 'You are sending a little too fast. Please wait a moment and try again.',
  unavailable: 'The server could not save that just now. Nothing was changed; please try again.',
  invalid_payload: 'That could not be sent. Messages must be between 1 and 4000 characters.',
  invalid_transition: 'The session cannot move to that state from where it is now.',
  not_found: 'That message no longer exists.',
  unauthorized: 'You do not have access to this session.',
  'too many channels': 'This page has too many rooms open. Please close some and try again.',
  unknown_event: 'The server does not know that action. The page may be out of date; please reload.',
  timeout: 'The server did not answer in time. Check your connection and try again.',
};

export function describeReason(reason: string): string {
  return REASONS[reason] ?? `Something went wrong (${reason}). Please try again.`;
}

/** Error replies arrive as `{reason}`; anything else is reported as unknown. */
export function reasonOf(response: unknown): string {
  if (typeof response === 'object' && response !== null && typeof (response as { reason?: unknown }).reason === 'string') {
    return (response as { reason: string }).reason;
  }
  return 'unknown';
}
