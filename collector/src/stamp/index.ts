/**
 * Active fiber-link probing with STAMP (RFC 8762, unauthenticated): a Session-Sender that turns
 * each interval into a link_samples row per peer, and a rate-limited Session-Reflector.
 */
export { StampSender } from './sender.js';
export type { StampSenderOptions, StampSenderStats, StampPeerStats } from './sender.js';
export { StampReflector, REFLECTOR_DROP_COUNTERS } from './reflector.js';
export type { StampReflectorOptions, StampReflectorStats } from './reflector.js';
export {
  stampPeerSchema,
  stampSenderConfigSchema,
  stampReflectorConfigSchema,
  parseStampSenderConfig,
  parseStampReflectorConfig,
  defaultLinkId,
  StampConfigError,
} from './config.js';
export type {
  StampPeerConfig,
  StampSenderConfig,
  StampSenderConfigInput,
  StampReflectorConfig,
  StampReflectorConfigInput,
} from './config.js';
export type { StampReport, ReplyObservation, ReplyOutcome, StampSessionCounters } from './session.js';
export type { LinkSampleRow } from './link-row.js';
export { createWallClock, parseChronyTracking, readClockStatus, UNSYNCED_CLOCK } from './clock.js';
export type { ClockStatus, ClockStatusSource, WallClock } from './clock.js';
export { startChronyClock } from './chrony.js';
export type { ChronyClock, ChronyClockOptions } from './chrony.js';
export {
  STAMP_PACKET_LENGTH,
  STAMP_PORT,
  STAMP_MAX_PACKET_LENGTH,
  encodeSenderPacket,
  decodeSenderPacket,
  encodeReflectorPacket,
  decodeReflectorPacket,
  encodeErrorEstimate,
  decodeErrorEstimate,
  errorEstimateFromSeconds,
  errorEstimateSeconds,
  writeNtpTimestamp,
  readNtpTimestamp,
  writePtpTimestamp,
  readPtpTimestamp,
} from './packet.js';
export type { SenderPacket, ReflectorPacket, ErrorEstimate, DecodeFailure, DecodeOptions } from './packet.js';
