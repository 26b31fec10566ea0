import type { EncodedPayload, Frame, InboundMessage, Ref } from './message';

/**
 * Encodes and decodes one wire format. Each serializer instance has a small
 * integer `id` so a fan-out can cache one encoded frame per serializer in an
 * array instead of a map.
 */
export interface Serializer {
  readonly id: number;
  readonly vsn: '1.0.0' | '2.0.0';
  /** whether binary payloads go out as V2 binary frames */
  readonly binaryFrames: boolean;
  decodeText(text: string): InboundMessage;
  decodeBinary(data: Buffer): InboundMessage;
  /** server push from a channel: ref is always null */
  encodePush(joinRef: Ref, topic: string, event: string, payload: EncodedPayload): Frame;
  /** push with an explicit ref: phx_close and phx_error carry the join_ref as ref */
  encodeMessage(joinRef: Ref, ref: Ref, topic: string, event: string, payload: EncodedPayload): Frame;
  encodeReply(joinRef: Ref, ref: Ref, topic: string, status: string, response: EncodedPayload): Frame;
  /** fastlane broadcast: join_ref and ref are null */
  encodeBroadcast(topic: string, event: string, payload: EncodedPayload): Frame;
}

export const SERIALIZER_IDS = { v1: 0, v2: 1, v2Text: 2 } as const;
export const SERIALIZER_COUNT = 3;
