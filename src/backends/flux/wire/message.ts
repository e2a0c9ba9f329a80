/**
 * Flux messages (RFC 3) encoded and decoded exactly as flux-core 0.88 does in
 * `src/common/libflux/message.c` (`flux_msg_encode`, `flux_msg_decode`), `message_iovec.c`
 * (`iovec_to_msg`: frame order) and `message_proto.c` (`proto_encode`: the 20-byte proto frame).
 *
 * A message is a sequence of frames, each prefixed by its length: one byte if < 255, else the
 * byte 0xff and a 4-byte big-endian length. Frames in order: route ids then an empty delimiter
 * frame (only with FLUX_MSGFLAG_ROUTE), topic (FLUX_MSGFLAG_TOPIC), payload (FLUX_MSGFLAG_PAYLOAD),
 * and last the proto frame: magic 0x8e, version 1, type, flags, then four big-endian uint32s
 * userid, rolemask, aux1 (nodeid | errnum | sequence), aux2 (matchtag).
 *
 * @module
 */
import { MsgFlag, MsgType, PROTO_MAGIC, PROTO_SIZE, PROTO_VERSION } from './constants.js';
import { FluxProtocolError } from './errors.js';
import { parseJson, stringifyJson, type JsonObject } from './json.js';

/** A decoded Flux message. Topic/payload presence follows the TOPIC/PAYLOAD flags. */
export interface FluxMessage {
  /** One of {@link MsgType}. */
  type: number;
  /** Bitwise OR of {@link MsgFlag} values. TOPIC, PAYLOAD and ROUTE are kept in step by {@link encodeMessage}. */
  flags: number;
  userid: number;
  rolemask: number;
  /** nodeid (request), errnum (response), sequence (event), control type (control). */
  aux1: number;
  /** matchtag (request, response), control status (control). */
  aux2: number;
  /** Route ids, first hop first (only with FLUX_MSGFLAG_ROUTE). */
  routes?: string[];
  topic?: string;
  payload?: Buffer;
}

function frameHeaderSize(len: number): number {
  return len < 0xff ? 1 : 5;
}

function writeFrame(out: Buffer, at: number, frame: Buffer | undefined, len: number): number {
  if (len < 0xff) {
    out[at++] = len;
  } else {
    out[at++] = 0xff;
    out.writeUInt32BE(len, at);
    at += 4;
  }
  if (frame) frame.copy(out, at);
  return at + len;
}

/**
 * Encodes a message as RFC 3 frames (without the local connector's 8-byte header). The TOPIC,
 * PAYLOAD and ROUTE flags are set from the presence of `topic`, `payload` and `routes`.
 *
 * @throws {@link FluxProtocolError} if a header field is not a uint8/uint32.
 */
export function encodeMessage(msg: FluxMessage): Buffer {
  const topic = msg.topic === undefined ? undefined : Buffer.from(msg.topic, 'utf8');
  const routes = msg.routes?.map((r) => Buffer.from(r, 'utf8'));
  let flags = msg.flags & ~(MsgFlag.TOPIC | MsgFlag.PAYLOAD | MsgFlag.ROUTE);
  if (topic) flags |= MsgFlag.TOPIC;
  if (msg.payload) flags |= MsgFlag.PAYLOAD;
  if (routes) flags |= MsgFlag.ROUTE;
  checkUint('type', msg.type, 0xff);
  checkUint('flags', flags, 0xff);
  for (const [name, v] of [['userid', msg.userid], ['rolemask', msg.rolemask], ['aux1', msg.aux1], ['aux2', msg.aux2]] as const) {
    checkUint(name, v, 0xffffffff);
  }
  let size = frameHeaderSize(PROTO_SIZE) + PROTO_SIZE;
  if (routes) {
    for (const r of routes) size += frameHeaderSize(r.length) + r.length;
    size += 1;
  }
  if (topic) size += frameHeaderSize(topic.length) + topic.length;
  if (msg.payload) size += frameHeaderSize(msg.payload.length) + msg.payload.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  if (routes) {
    for (const r of routes) at = writeFrame(out, at, r, r.length);
    at = writeFrame(out, at, undefined, 0);
  }
  if (topic) at = writeFrame(out, at, topic, topic.length);
  if (msg.payload) at = writeFrame(out, at, msg.payload, msg.payload.length);
  out[at++] = PROTO_SIZE;
  out[at++] = PROTO_MAGIC;
  out[at++] = PROTO_VERSION;
  out[at++] = msg.type;
  out[at++] = flags;
  out.writeUInt32BE(msg.userid, at);
  out.writeUInt32BE(msg.rolemask, at + 4);
  out.writeUInt32BE(msg.aux1, at + 8);
  out.writeUInt32BE(msg.aux2, at + 12);
  return out;
}

function checkUint(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new FluxProtocolError(`header field ${name}`, `${v} is not an integer in [0, ${max}]`);
  }
}

/**
 * Decodes RFC 3 frames (the bytes after the local connector's 8-byte header).
 *
 * @throws {@link FluxProtocolError} on a truncated frame, a bad proto frame (size, magic,
 *   version, type) or frames that do not match the flags.
 */
export function decodeMessage(buf: Buffer): FluxMessage {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    let len = buf[at++] as number;
    if (len === 0xff) {
      if (buf.length - at < 4) throw new FluxProtocolError('frame length', 'truncated 4-byte length');
      len = buf.readUInt32BE(at);
      at += 4;
    }
    if (buf.length - at < len) throw new FluxProtocolError('frame', `length ${len} exceeds the ${buf.length - at} bytes left`);
    frames.push(buf.subarray(at, at + len));
    at += len;
  }
  const proto = frames.pop();
  if (!proto) throw new FluxProtocolError('frames', 'no frames');
  if (proto.length !== PROTO_SIZE) throw new FluxProtocolError('proto frame', `size ${proto.length}, expected ${PROTO_SIZE}`);
  if (proto[0] !== PROTO_MAGIC) throw new FluxProtocolError('proto frame', `magic 0x${proto[0]?.toString(16)}, expected 0x8e`);
  if (proto[1] !== PROTO_VERSION) throw new FluxProtocolError('proto frame', `version ${proto[1]}, expected ${PROTO_VERSION}`);
  const type = proto[2] as number;
  if (![MsgType.REQUEST, MsgType.RESPONSE, MsgType.EVENT, MsgType.CONTROL].includes(type as MsgType)) {
    throw new FluxProtocolError('proto frame', `invalid message type ${type}`);
  }
  const flags = proto[3] as number;
  const msg: FluxMessage = {
    type,
    flags,
    userid: proto.readUInt32BE(4),
    rolemask: proto.readUInt32BE(8),
    aux1: proto.readUInt32BE(12),
    aux2: proto.readUInt32BE(16),
  };
  let i = 0;
  if (flags & MsgFlag.ROUTE) {
    msg.routes = [];
    while (i < frames.length && (frames[i] as Buffer).length > 0) msg.routes.push((frames[i++] as Buffer).toString('utf8'));
    if (i === frames.length) throw new FluxProtocolError('route frames', 'no empty delimiter frame');
    i++;
  }
  if (flags & MsgFlag.TOPIC) {
    if (i === frames.length) throw new FluxProtocolError('topic frame', 'TOPIC flag set but frame missing');
    msg.topic = (frames[i++] as Buffer).toString('utf8');
  }
  if (flags & MsgFlag.PAYLOAD) {
    if (i === frames.length) throw new FluxProtocolError('payload frame', 'PAYLOAD flag set but frame missing');
    msg.payload = frames[i++] as Buffer;
  }
  if (i !== frames.length) throw new FluxProtocolError('frames', `${frames.length - i} frame(s) not accounted for by the flags`);
  return msg;
}

/**
 * A JSON object as a Flux string payload: UTF-8 JSON followed by a NUL byte (flux_msg_pack() sends
 * the terminator and flux_msg_get_string() rejects a payload without it with EPROTO).
 */
export function encodeJsonPayload(obj: object): Buffer {
  return Buffer.from(stringifyJson(obj) + '\0', 'utf8');
}

/**
 * A NUL-terminated string payload as text (the NUL dropped), e.g. an error response's message.
 * Tolerates a missing terminator.
 */
export function decodeStringPayload(payload: Buffer): string {
  const end = payload.length > 0 && payload[payload.length - 1] === 0 ? payload.length - 1 : payload.length;
  return payload.toString('utf8', 0, end);
}

/**
 * A JSON object payload, integers beyond 2^53 as bigint.
 *
 * @param where - Names the message in errors, e.g. `response to job-ingest.submit`.
 * @throws {@link FluxProtocolError} if the payload is not JSON or not an object.
 */
export function decodeJsonPayload(payload: Buffer, where: string): JsonObject {
  const text = decodeStringPayload(payload);
  let v: unknown;
  try {
    v = parseJson(text);
  } catch (e) {
    throw new FluxProtocolError(`payload of ${where}`, `not JSON (${(e as Error).message}): ${text.slice(0, 80)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FluxProtocolError(`payload of ${where}`, `not a JSON object: ${text.slice(0, 80)}`);
  }
  return v as JsonObject;
}
