/**
 * The local connector's stream framing (flux-core 0.88 `src/common/librouter/sendfd.c`,
 * `sendfd()`/`recvfd()`): every message on the unix socket is an 8-byte header, then the RFC 3
 * frames of {@link encodeMessage}. Header: `IOBUF_MAGIC` 0xffee0012 as a host-order uint32
 * (`*(uint32_t *)&buf[0] = IOBUF_MAGIC`, so bytes 12 00 ee ff on x86) and the length of the
 * encoded message as a big-endian uint32 (`htonl`).
 *
 * @module
 */
import { endianness } from 'node:os';
import { IOBUF_HEADER_SIZE, IOBUF_MAGIC } from './constants.js';
import { FluxProtocolError } from './errors.js';
import { decodeMessage, encodeMessage, type FluxMessage } from './message.js';

const LITTLE = endianness() === 'LE';

/** Encodes one message with its 8-byte stream header, ready to write to the socket. */
export function frameMessage(msg: FluxMessage): Buffer {
  const body = encodeMessage(msg);
  const out = Buffer.allocUnsafe(IOBUF_HEADER_SIZE + body.length);
  if (LITTLE) out.writeUInt32LE(IOBUF_MAGIC, 0);
  else out.writeUInt32BE(IOBUF_MAGIC, 0);
  out.writeUInt32BE(body.length, 4);
  body.copy(out, IOBUF_HEADER_SIZE);
  return out;
}

/**
 * Reassembles messages from socket chunks of any size: {@link push} each chunk, get the messages
 * it completes.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /**
   * Adds bytes read from the socket.
   *
   * @returns The messages completed by these bytes, in order.
   * @throws {@link FluxProtocolError} on a bad header magic or a message that does not decode;
   *   the stream cannot be resynchronised after that.
   */
  push(chunk: Buffer): FluxMessage[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: FluxMessage[] = [];
    while (this.buffered >= IOBUF_HEADER_SIZE) {
      const head = this.peek(IOBUF_HEADER_SIZE);
      const magic = LITTLE ? head.readUInt32LE(0) : head.readUInt32BE(0);
      if (magic !== IOBUF_MAGIC) {
        throw new FluxProtocolError('stream header', `magic 0x${magic.toString(16)}, expected 0x${IOBUF_MAGIC.toString(16)}`);
      }
      const len = head.readUInt32BE(4);
      if (this.buffered < IOBUF_HEADER_SIZE + len) break;
      const whole = this.take(IOBUF_HEADER_SIZE + len);
      out.push(decodeMessage(whole.subarray(IOBUF_HEADER_SIZE)));
    }
    return out;
  }

  /** Bytes received but not yet part of a complete message. */
  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= n) return first;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all;
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered -= n;
    return head;
  }
}
