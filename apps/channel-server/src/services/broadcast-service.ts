import { MESSAGE_TYPES, type AuthorRole, type MessageType } from '@cinder/contract';
import type { Store } from '@cinder/store';
import { tryStringify } from '../validation/safe-json';
import { binaryBroadcast, jsonBroadcast, type PubSub } from '@cinder/runtime';

export class BroadcastInputError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BroadcastInput {
  topic: string;
  event: string;
  payload?: Record<string, unknown>;
  binary?: Buffer;
  persist?: boolean;
  idempotencyKey?: string;
}

const SYSTEM_TYPES: ReadonlySet<MessageType> = new Set<MessageType>(['system_notice', 'session_state']);
const MAX_PERSISTED_MESSAGE = 4000;

/** `ai:feedback` → `ai_feedback`; an explicit `payload.type` wins. */
function messageTypeFor(event: string, payload: Record<string, unknown>): MessageType | null {
  const candidate = typeof payload.type === 'string' ? payload.type : event.replace(/[:.\-]/g, '_');
  return (MESSAGE_TYPES as readonly string[]).includes(candidate) ? (candidate as MessageType) : null;
}

function messageTextFor(event: string, payload: Record<string, unknown>): string {
  const text = [payload.message, payload.summary, payload.text].find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
  const chars = [...(text ?? event)];
  return chars.length > MAX_PERSISTED_MESSAGE ? chars.slice(0, MAX_PERSISTED_MESSAGE).join('') : chars.join('');
}

/**
 * Broadcasts published by back ends (HTTP API, SDK, dev simulation). With
 * `persist`, a `session:` broadcast becomes a stored Message first and is
 * delivered only once committed, carrying the message id; an idempotency key
 * makes retries store and deliver nothing new.
 */
export class BroadcastService {
  constructor(
    private readonly store: Store,
    private readonly pubsub: PubSub,
  ) {}

  async publish(input: BroadcastInput): Promise<{ id?: string; duplicate?: boolean }> {
    if (input.binary) {
      if (input.persist) throw new BroadcastInputError('invalid_request', 'binary payloads cannot be persisted');
      this.pubsub.broadcast(binaryBroadcast(input.topic, input.event, input.binary));
      return {};
    }
    const payload = input.payload ?? {};
    // Encoded once up front: a payload that cannot be encoded is refused before anything is stored.
    const json = tryStringify(payload);
    if (json === null) throw new BroadcastInputError('invalid_request', 'payload is nested too deeply to encode');
    if (!input.persist) {
      this.pubsub.broadcast({ topic: input.topic, event: input.event, payload: { kind: 'json', json } });
      return {};
    }
    if (!input.topic.startsWith('session:') || input.topic.length === 'session:'.length) {
      throw new BroadcastInputError('invalid_request', 'persist is only possible on session:{id} topics');
    }
    const type = messageTypeFor(input.event, payload);
    if (!type) throw new BroadcastInputError('invalid_type', `cannot derive a message type from event ${JSON.stringify(input.event)}; set payload.type`);
    const authorRole: AuthorRole =
      payload.author_role === 'system' || payload.author_role === 'ai' ? payload.author_role : SYSTEM_TYPES.has(type) ? 'system' : 'ai';
    const authorId = typeof payload.author_id === 'string' && payload.author_id !== '' ? payload.author_id : authorRole;
    const { type: _t, message: _m, author_role: _r, author_id: _a, ...meta } = payload;
    const sessionId = input.topic.slice('session:'.length);
    const { message, duplicate } = await this.store.appendMessage(
      {
        session_id: sessionId,
        type,
        author_role: authorRole,
        author_id: authorId,
        message: messageTextFor(input.event, payload),
        meta,
      },
      input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : undefined,
    );
    if (!duplicate) {
      this.pubsub.broadcast(
        jsonBroadcast(input.topic, input.event, {
          ...payload,
          id: message.id,
          session_id: message.session_id,
          type: message.type,
          author_role: message.author_role,
          author_id: message.author_id,
          message: message.message,
          inserted_at: message.inserted_at,
        }),
      );
    }
    return { id: message.id, duplicate };
  }
}
