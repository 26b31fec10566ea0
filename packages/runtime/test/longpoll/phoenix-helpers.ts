/** Minimal promise wrappers around stock phoenix.js channels (the module is plain JS). */

export type PhxChannel = any;

export function join(channel: PhxChannel, timeoutMs = 3000): Promise<any> {
  return new Promise((resolve, reject) => {
    channel
      .join(timeoutMs)
      .receive('ok', resolve)
      .receive('error', (reply: unknown) => reject(Object.assign(new Error('join refused'), { reply })))
      .receive('timeout', () => reject(new Error('join timed out')));
  });
}

export function push(channel: PhxChannel, event: string, payload: object, timeoutMs = 3000): Promise<{ status: string; response: any }> {
  return new Promise((resolve) => {
    channel
      .push(event, payload, timeoutMs)
      .receive('ok', (response: unknown) => resolve({ status: 'ok', response }))
      .receive('error', (response: unknown) => resolve({ status: 'error', response }))
      .receive('timeout', () => resolve({ status: 'timeout', response: null }));
  });
}

export function leave(channel: PhxChannel, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    channel
      .leave(timeoutMs)
      .receive('ok', () => resolve('ok'))
      .receive('timeout', () => resolve('timeout'));
  });
}

/** Resolves with the payload of the next `event` on the channel. */
export function nextEvent(channel: PhxChannel, event: string): Promise<any> {
  return new Promise((resolve) => {
    const ref = channel.on(event, (payload: unknown) => {
      channel.off(event, ref);
      resolve(payload);
    });
  });
}
