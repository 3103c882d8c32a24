/**
 * Configuration of the STAMP Session-Sender and Session-Reflector, as zod schemas so the agent can
 * embed them in its YAML schema, plus parse functions whose errors name the offending key.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { STAMP_MAX_PACKET_LENGTH, STAMP_PACKET_LENGTH, STAMP_PORT } from './packet.js';

const port = z.number().int().min(1).max(65535);
const name = z.string().min(1).max(64);

export const stampPeerSchema = z.strictObject({
  /** IP address or host name of the peer's reflector. */
  address: z.string().min(1).max(253),
  port: port.default(STAMP_PORT),
  /** Region at the far end (label region_to). */
  region: name,
  /** Label link_id. Default: "<local region>-><peer region>"; must be unique among peers. */
  linkId: z.string().min(1).max(128).optional(),
  /** RFC 8972 Session-Sender Identifier carried in the packets. Default: 0. */
  ssid: z.number().int().min(0).max(0xffff).default(0),
});

export const stampSenderConfigSchema = z.strictObject({
  /** This host's name (label host). */
  host: z.string().min(1).max(253),
  /** This host's region (label region_from). */
  region: name,
  peers: z.array(stampPeerSchema).max(1024),
  /** Probes per second to each peer. perfSONAR latencybg sends 10. */
  rate: z.number().positive().max(1000).default(10),
  /** Reporting interval. 60 s matches latencybg (600 packets at 10 pps). Intervals align to the epoch. */
  intervalMs: z.number().int().min(100).max(3_600_000).default(60_000),
  /** A reply later than this after its probe counts as lost (and is tallied as late). */
  lossTimeoutMs: z.number().int().min(1).max(60_000).default(2_000),
  /** Test packet size; the reflector answers with the same size. */
  packetLength: z.number().int().min(STAMP_PACKET_LENGTH).max(STAMP_MAX_PACKET_LENGTH).default(STAMP_PACKET_LENGTH),
  /** One-way delays are reported only when both ends' error estimates add up to no more than this. */
  maxClockErrorMs: z.number().positive().max(1000).default(1),
});

export const stampReflectorConfigSchema = z.strictObject({
  /** Listen address. An IPv6 address (e.g. "::") makes a udp6 socket. */
  address: z.string().min(1).default('0.0.0.0'),
  port: z.number().int().min(0).max(65535).default(STAMP_PORT),
  /** Sustained replies per second to one source address. */
  ratePerSource: z.number().positive().max(100_000).default(100),
  /** Replies a source may get in a burst after being idle. */
  burstPerSource: z.number().int().min(1).max(100_000).default(200),
  /** Ceiling on all replies per second, whatever the sources. */
  globalRate: z.number().positive().max(1_000_000).default(10_000),
  /** Sources whose buckets are remembered; beyond this the least recently seen is forgotten. */
  maxSources: z.number().int().min(1).max(1_000_000).default(4096),
  /** Largest request answered. Never below 44. */
  maxPacketLength: z.number().int().min(STAMP_PACKET_LENGTH).max(65_507).default(STAMP_MAX_PACKET_LENGTH),
  /** Refuse requests whose MBZ octets are not zero (see DecodeOptions.strictMbz). */
  strictMbz: z.boolean().default(true),
});

export type StampPeerConfig = z.output<typeof stampPeerSchema>;
export type StampSenderConfig = z.output<typeof stampSenderConfigSchema>;
export type StampSenderConfigInput = z.input<typeof stampSenderConfigSchema>;
export type StampReflectorConfig = z.output<typeof stampReflectorConfigSchema>;
export type StampReflectorConfigInput = z.input<typeof stampReflectorConfigSchema>;

/** A configuration error; `key` is the dotted path of the offending setting. */
export class StampConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'StampConfigError';
  }
}

function keyOf(prefix: string, path: readonly PropertyKey[]): string {
  let key = prefix;
  for (const part of path) key += typeof part === 'number' ? `[${part}]` : `${key ? '.' : ''}${String(part)}`;
  return key;
}

function parseWith<T extends z.ZodType>(schema: T, input: unknown, prefix: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (!issue) throw new StampConfigError(prefix, 'invalid');
    throw new StampConfigError(keyOf(prefix, issue.path), issue.message);
  }
  return result.data;
}

export function defaultLinkId(region: string, peer: { readonly region: string }): string {
  return `${region}->${peer.region}`;
}

/** Validates a sender config; errors name the key, e.g. "stamp.sender.peers[1].port: ...". */
export function parseStampSenderConfig(input: unknown, prefix = 'stamp.sender'): StampSenderConfig {
  const config = parseWith(stampSenderConfigSchema, input, prefix);
  const seen = new Map<string, number>();
  config.peers.forEach((peer, i) => {
    const id = peer.linkId ?? defaultLinkId(config.region, peer);
    const first = seen.get(id);
    if (first !== undefined) {
      throw new StampConfigError(
        `${prefix}.peers[${i}].linkId`,
        `link id "${id}" is already used by peers[${first}]; give each peer to the same region its own linkId`,
      );
    }
    seen.set(id, i);
  });
  if ((config.rate * config.intervalMs) / 1000 < 1) {
    throw new StampConfigError(
      `${prefix}.rate`,
      `at ${config.rate}/s no probe would be sent in an interval of ${config.intervalMs} ms`,
    );
  }
  return config;
}

export function parseStampReflectorConfig(input: unknown, prefix = 'stamp.reflector'): StampReflectorConfig {
  const config = parseWith(stampReflectorConfigSchema, input, prefix);
  if (isIP(config.address) === 0)
    throw new StampConfigError(`${prefix}.address`, `"${config.address}" is not an IP address`);
  return config;
}
