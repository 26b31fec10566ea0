import { encodeBinaryBroadcast, encodeBinaryPush, encodeBinaryReply, decodeBinaryPush } from './binary-frame';
import { payloadAsJson, refJson } from './json-text';
import type { EncodedPayload, Frame, InboundMessage, Ref } from './message';
import { ProtocolError } from './protocol-error';
import { isRef } from './ref-check';
import { SERIALIZER_IDS, type Serializer } from './serializer';

function text(s: string): Frame {
  return { data: Buffer.from(s, 'utf8'), binary: false };
}

function bin(b: Buffer): Frame {
  return { data: b, binary: true };
}

function decodeText(raw: string): InboundMessage {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ProtocolError('invalid_json', 'frame is not valid JSON');
  }
  if (!Array.isArray(value) || value.length < 5) {
    throw new ProtocolError('invalid_shape', 'V2 frame must be an array [join_ref, ref, topic, event, payload]');
  }
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  if (typeof topic !== 'string' || typeof event !== 'string') {
    throw new ProtocolError('invalid_shape', 'V2 topic and event must be strings');
  }
  if (!isRef(joinRef) || !isRef(ref)) {
    throw new ProtocolError('invalid_shape', 'V2 join_ref and ref must be strings, numbers or null');
  }
  return { joinRef, ref, topic, event, payload, binary: false };
}

function decodeBinary(data: Buffer): InboundMessage {
  const p = decodeBinaryPush(data);
  return { joinRef: p.joinRef, ref: p.ref, topic: p.topic, event: p.event, payload: p.payload, binary: true };
}

function makeV2(id: number, binaryFrames: boolean): Serializer {
  const useBinary = (p: EncodedPayload): p is { kind: 'binary'; bytes: Uint8Array } =>
    binaryFrames && p.kind === 'binary';
  return {
    id,
    vsn: '2.0.0',
    binaryFrames,
    decodeText,
    decodeBinary,
    encodePush(joinRef: Ref, topic: string, event: string, payload: EncodedPayload): Frame {
      if (useBinary(payload)) return bin(encodeBinaryPush(joinRef, topic, event, payload.bytes));
      return text(`[${refJson(joinRef)},null,${JSON.stringify(topic)},${JSON.stringify(event)},${payloadAsJson(payload)}]`);
    },
    encodeMessage(joinRef: Ref, ref: Ref, topic: string, event: string, payload: EncodedPayload): Frame {
      return text(
        `[${refJson(joinRef)},${refJson(ref)},${JSON.stringify(topic)},${JSON.stringify(event)},${payloadAsJson(payload)}]`,
      );
    },
    encodeReply(joinRef: Ref, ref: Ref, topic: string, status: string, response: EncodedPayload): Frame {
      if (useBinary(response)) return bin(encodeBinaryReply(joinRef, ref, topic, status, response.bytes));
      return text(
        `[${refJson(joinRef)},${refJson(ref)},${JSON.stringify(topic)},"phx_reply",{"response":${payloadAsJson(response)},"status":${JSON.stringify(status)}}]`,
      );
    },
    encodeBroadcast(topic: string, event: string, payload: EncodedPayload): Frame {
      if (useBinary(payload)) return bin(encodeBinaryBroadcast(topic, event, payload.bytes));
      return text(`[null,null,${JSON.stringify(topic)},${JSON.stringify(event)},${payloadAsJson(payload)}]`);
    },
  };
}

/** vsn 2.0.0 over WebSocket: JSON arrays plus V2 binary frames. */
export const v2Serializer: Serializer = makeV2(SERIALIZER_IDS.v2, true);

/**
 * vsn 2.0.0 over LongPoll: the poll response carries frames as JSON strings,
 * so binary payloads travel as `{"base64": …}` (phoenix.js cannot receive
 * binary over LongPoll at all).
 */
export const v2TextSerializer: Serializer = makeV2(SERIALIZER_IDS.v2Text, false);
