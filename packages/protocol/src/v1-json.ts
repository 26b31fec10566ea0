import { payloadAsJson, refJson } from './json-text';
import type { EncodedPayload, Frame, InboundMessage, Ref } from './message';
import { ProtocolError } from './protocol-error';
import { SERIALIZER_IDS, type Serializer } from './serializer';
import { isRef } from './ref-check';

function text(s: string): Frame {
  return { data: Buffer.from(s, 'utf8'), binary: false };
}

/**
 * vsn 1.0.0: JSON objects. The server never sends `join_ref` in V1, and it
 * has no binary frames; any binary frame is a protocol error.
 */
export const v1Serializer: Serializer = {
  id: SERIALIZER_IDS.v1,
  vsn: '1.0.0',
  binaryFrames: false,

  decodeText(raw: string): InboundMessage {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ProtocolError('invalid_json', 'frame is not valid JSON');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ProtocolError('invalid_shape', 'V1 frame must be a JSON object');
    }
    const o = value as Record<string, unknown>;
    for (const key of ['topic', 'event', 'payload', 'ref']) {
      if (!(key in o)) throw new ProtocolError('invalid_shape', `V1 frame is missing "${key}"`);
    }
    if (typeof o.topic !== 'string' || typeof o.event !== 'string') {
      throw new ProtocolError('invalid_shape', 'V1 topic and event must be strings');
    }
    const joinRef = o.join_ref === undefined ? null : o.join_ref;
    if (!isRef(o.ref) || !isRef(joinRef)) {
      throw new ProtocolError('invalid_shape', 'V1 ref and join_ref must be strings, numbers or null');
    }
    return { joinRef, ref: o.ref, topic: o.topic, event: o.event, payload: o.payload, binary: false };
  },

  decodeBinary(): InboundMessage {
    throw new ProtocolError('binary_on_v1', 'binary frames are not part of vsn 1.0.0');
  },

  encodePush(_joinRef: Ref, topic: string, event: string, payload: EncodedPayload): Frame {
    return text(`{"event":${JSON.stringify(event)},"payload":${payloadAsJson(payload)},"ref":null,"topic":${JSON.stringify(topic)}}`);
  },

  encodeMessage(_joinRef: Ref, ref: Ref, topic: string, event: string, payload: EncodedPayload): Frame {
    return text(
      `{"event":${JSON.stringify(event)},"payload":${payloadAsJson(payload)},"ref":${refJson(ref)},"topic":${JSON.stringify(topic)}}`,
    );
  },

  encodeReply(_joinRef: Ref, ref: Ref, topic: string, status: string, response: EncodedPayload): Frame {
    return text(
      `{"event":"phx_reply","payload":{"response":${payloadAsJson(response)},"status":${JSON.stringify(status)}},"ref":${refJson(ref)},"topic":${JSON.stringify(topic)}}`,
    );
  },

  encodeBroadcast(topic: string, event: string, payload: EncodedPayload): Frame {
    return text(`{"event":${JSON.stringify(event)},"payload":${payloadAsJson(payload)},"ref":null,"topic":${JSON.stringify(topic)}}`);
  },
};
