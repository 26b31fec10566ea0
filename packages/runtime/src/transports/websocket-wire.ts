import type { Frame } from '@cinder/protocol';

const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const FIN = 0x80;

/**
 * Server-to-client WebSocket frames are never masked (RFC 6455 §5.1), so a
 * broadcast's complete frame, header included, is the same bytes for every
 * subscriber. Building it once per broadcast and serializer turns each
 * delivery into a single socket write of a shared buffer instead of a header
 * allocation and a two-part write per socket.
 *
 * Keyed weakly by the shared Frame: the cache lives exactly as long as the
 * broadcast is being delivered (or held for a joining channel).
 */
const framed = new WeakMap<Frame, Buffer>();

export function sharedWireFrame(frame: Frame): Buffer {
  let wire = framed.get(frame);
  if (wire === undefined) {
    wire = encodeServerFrame(frame.data, frame.binary);
    framed.set(frame, wire);
  }
  return wire;
}

/** One unfragmented, unmasked frame carrying `data`. */
export function encodeServerFrame(data: Buffer, binary: boolean): Buffer {
  const length = data.length;
  const headerLength = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  const wire = Buffer.allocUnsafe(headerLength + length);
  wire[0] = FIN | (binary ? OPCODE_BINARY : OPCODE_TEXT);
  if (headerLength === 2) {
    wire[1] = length;
  } else if (headerLength === 4) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeUInt32BE(Math.floor(length / 0x100000000), 2);
    wire.writeUInt32BE(length >>> 0, 6);
  }
  data.copy(wire, headerLength);
  return wire;
}
