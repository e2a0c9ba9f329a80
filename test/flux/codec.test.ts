import { describe, expect, it } from 'vitest';
import {
  decodeJsonPayload,
  decodeMessage,
  decodeWaitStatus,
  encodeJsonPayload,
  encodeMessage,
  FluxProtocolError,
  frameMessage,
  MessageReader,
  MsgFlag,
  MsgType,
  parseJson,
  signNone,
  stringifyJson,
  unwrapNone,
} from '../../src/backends/flux/wire/index.js';

/** The proto frame of flux-core's proto_encode(): magic, version, type, flags, 4 x be32. */
function proto(type: number, flags: number, userid: number, rolemask: number, aux1: number, aux2: number): number[] {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(userid, 0);
  b.writeUInt32BE(rolemask, 4);
  b.writeUInt32BE(aux1, 8);
  b.writeUInt32BE(aux2, 12);
  return [20, 0x8e, 1, type, flags, ...b];
}

describe('message codec (flux_msg_encode / flux_msg_decode layout)', () => {
  it('encodes a request as topic frame, payload frame, proto frame', () => {
    const buf = encodeMessage({ type: MsgType.REQUEST, flags: 0, userid: 0xffffffff, rolemask: 0, aux1: 0xffffffff, aux2: 7, topic: 'a.b', payload: Buffer.from('{}\0') });
    const want = [3, ...Buffer.from('a.b'), 3, ...Buffer.from('{}\0'), ...proto(1, MsgFlag.TOPIC | MsgFlag.PAYLOAD, 0xffffffff, 0, 0xffffffff, 7)];
    expect([...buf]).toEqual(want);
  });

  it('uses 0xff + be32 length for frames of 255 bytes or more, 1 byte below', () => {
    for (const n of [254, 255, 70000]) {
      const payload = Buffer.alloc(n, 0x61);
      const buf = encodeMessage({ type: MsgType.RESPONSE, flags: 0, userid: 0, rolemask: 1, aux1: 0, aux2: 1, payload });
      if (n < 255) expect(buf[0]).toBe(n);
      else {
        expect(buf[0]).toBe(0xff);
        expect(buf.readUInt32BE(1)).toBe(n);
      }
      const m = decodeMessage(buf);
      expect(m.payload?.length).toBe(n);
      expect(m.topic).toBeUndefined();
      expect(m.flags).toBe(MsgFlag.PAYLOAD);
    }
  });

  it('decodes route frames up to the empty delimiter', () => {
    const buf = Buffer.from([2, ...Buffer.from('r1'), 2, ...Buffer.from('r2'), 0, 1, 0x78, ...proto(2, MsgFlag.ROUTE | MsgFlag.TOPIC, 5, 1, 61, 9)]);
    const m = decodeMessage(buf);
    expect(m).toMatchObject({ type: 2, routes: ['r1', 'r2'], topic: 'x', aux1: 61, aux2: 9, userid: 5 });
    expect([...encodeMessage(m)]).toEqual([...buf]);
  });

  it('rejects a bad magic, version, type, a missing frame and a truncated frame', () => {
    const good = proto(2, MsgFlag.TOPIC, 0, 0, 0, 1);
    const bad = (f: (p: number[]) => number[]): Buffer => Buffer.from(f([...good]));
    expect(() => decodeMessage(bad((p) => [1, 0x41, ...p.map((v, i) => (i === 1 ? 0x8f : v))]))).toThrow(/magic/);
    expect(() => decodeMessage(bad((p) => [1, 0x41, ...p.map((v, i) => (i === 2 ? 2 : v))]))).toThrow(/version/);
    expect(() => decodeMessage(bad((p) => [1, 0x41, ...p.map((v, i) => (i === 3 ? 3 : v))]))).toThrow(/type 3/);
    expect(() => decodeMessage(bad((p) => p))).toThrow(FluxProtocolError);
    expect(() => decodeMessage(Buffer.from([9, 1, 2]))).toThrow(/exceeds/);
  });
});

describe('local connector stream framing (sendfd/recvfd)', () => {
  it('prefixes IOBUF_MAGIC in host order and the length big-endian', () => {
    const m = { type: MsgType.REQUEST, flags: 0, userid: 0, rolemask: 0, aux1: 0, aux2: 0, topic: 't' };
    const f = frameMessage(m);
    expect([...f.subarray(0, 4)]).toEqual([0x12, 0x00, 0xee, 0xff]);
    expect(f.readUInt32BE(4)).toBe(f.length - 8);
    expect([...f.subarray(8)]).toEqual([...encodeMessage(m)]);
  });

  it('reassembles messages split across any chunk boundaries', () => {
    const msgs = [1, 2, 3].map((i) => ({ type: MsgType.RESPONSE, flags: 0, userid: 0, rolemask: 0, aux1: 0, aux2: i, payload: encodeJsonPayload({ i, s: 'x'.repeat(i * 200) }) }));
    const stream = Buffer.concat(msgs.map(frameMessage));
    for (const step of [1, 7, 300, stream.length]) {
      const r = new MessageReader();
      const got = [];
      for (let at = 0; at < stream.length; at += step) got.push(...r.push(stream.subarray(at, at + step)));
      expect(got.map((m) => m.aux2)).toEqual([1, 2, 3]);
      expect(got.map((m) => decodeJsonPayload(m.payload as Buffer, 't').i)).toEqual([1, 2, 3]);
      expect(r.pending).toBe(0);
    }
  });

  it('rejects a stream whose header magic is wrong', () => {
    expect(() => new MessageReader().push(Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0]))).toThrow(/magic/);
  });
});

describe('payloads', () => {
  it('JSON payloads end with NUL and keep 64-bit ids exact', () => {
    const id = 2n ** 63n + 12345n;
    const p = encodeJsonPayload({ id, small: 5, s: 'a"\u00001234567890123456789"' });
    expect(p[p.length - 1]).toBe(0);
    expect(p.toString('utf8')).toContain(`"id":${id}`);
    const back = decodeJsonPayload(p, 'test');
    expect(back).toEqual({ id, small: 5, s: 'a"\u00001234567890123456789"' });
    expect(parseJson('[9007199254740993, 9007199254740991, 1.5e300, -9007199254740993]')).toEqual([9007199254740993n, 9007199254740991, 1.5e300, -9007199254740993n]);
    expect(stringifyJson({ a: [1n, 2] })).toBe('{"a":[1,2]}');
  });

  it('rejects payloads that are not JSON objects', () => {
    expect(() => decodeJsonPayload(Buffer.from('[1]\0'), 'resp')).toThrow(/not a JSON object/);
    expect(() => decodeJsonPayload(Buffer.from('{\0'), 'resp')).toThrow(/not JSON/);
  });

  it('signs with the none mechanism as sign_none_wrap() does', () => {
    const J = signNone('{"version":1}', 1000);
    const [h, p, m] = J.split('.');
    expect(m).toBe('none');
    expect(Buffer.from(h as string, 'base64').toString('latin1')).toBe('version\0i1\0userid\0i1000\0mechanism\0snone\0');
    expect(Buffer.from(p as string, 'base64').toString()).toBe('{"version":1}');
    expect(unwrapNone(J)).toEqual({ userid: 1000, jobspec: '{"version":1}' });
    expect(() => signNone('{}', -1)).toThrow(/userid/);
  });

  it('decodes wait statuses', () => {
    expect(decodeWaitStatus(0)).toMatchObject({ exitCode: 0, signal: undefined });
    expect(decodeWaitStatus(3 << 8)).toMatchObject({ exitCode: 3, signal: undefined });
    expect(decodeWaitStatus(9)).toMatchObject({ exitCode: undefined, signal: 9 });
  });
});
