/**
 * Numeric constants of Flux messages, from flux-core 0.88 `src/common/libflux/message.h` and
 * `message_proto.h`. One place for them: the codec, the connection and the RPCs import from here.
 *
 * @module
 */

/** Message types (`FLUX_MSGTYPE_*`, proto byte 2). */
export const MsgType = {
  REQUEST: 0x01,
  RESPONSE: 0x02,
  EVENT: 0x04,
  CONTROL: 0x08,
} as const;

/** A message type value. */
export type MsgType = (typeof MsgType)[keyof typeof MsgType];

/** Message flags (`FLUX_MSGFLAG_*`, proto byte 3). */
export const MsgFlag = {
  TOPIC: 0x01,
  PAYLOAD: 0x02,
  NORESPONSE: 0x04,
  ROUTE: 0x08,
  UPSTREAM: 0x10,
  PRIVATE: 0x20,
  STREAMING: 0x40,
  USER1: 0x80,
} as const;

/** First byte of the proto frame (`PROTO_MAGIC`). */
export const PROTO_MAGIC = 0x8e;
/** Second byte of the proto frame (`PROTO_VERSION`). */
export const PROTO_VERSION = 1;
/** Length of the proto frame (`PROTO_SIZE`). */
export const PROTO_SIZE = 20;

/** `FLUX_NODEID_ANY`: let the broker route a request to the nearest rank with the service. */
export const NODEID_ANY = 0xffffffff;
/** `FLUX_NODEID_UPSTREAM`. */
export const NODEID_UPSTREAM = 0xfffffffe;
/** `FLUX_USERID_UNKNOWN`: unset credentials; the broker fills in the connecting peer's. */
export const USERID_UNKNOWN = 0xffffffff;
/** `FLUX_ROLE_NONE`. */
export const ROLE_NONE = 0;
/** `FLUX_MATCHTAG_NONE`. */
export const MATCHTAG_NONE = 0;

/**
 * Magic of the local connector's per-message header, written by `sendfd()` in
 * `src/common/librouter/sendfd.c` as a host-order (little-endian on x86) uint32.
 */
export const IOBUF_MAGIC = 0xffee0012;
/** Length of that header: magic (4, host order) + encoded message length (4, big-endian). */
export const IOBUF_HEADER_SIZE = 8;

/** Linux errno values the client itself interprets. */
export const Errno = {
  ENOENT: 2,
  EINVAL: 22,
  ENOSYS: 38,
  ENODATA: 61,
  EPROTO: 71,
} as const;

/** `FLUX_JOB_URGENCY_*` from `src/common/libjob/job.h`. */
export const Urgency = { HOLD: 0, DEFAULT: 16, EXPEDITE: 31 } as const;

/** `FLUX_JOBID_ANY`: the id of the journal's end-of-backlog marker response. */
export const JOBID_ANY = 0xffffffffffffffffn;
