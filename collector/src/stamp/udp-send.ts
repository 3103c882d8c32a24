/**
 * The one guard every STAMP UDP send goes through (the reflector's replies and the sender's
 * probes). node:dgram's `send` throws synchronously for a destination it will not use (port 0 or
 * above 65535, an address that is not an IP literal: ERR_SOCKET_BAD_PORT and friends) and for a
 * closed socket; a throw in a 'message' handler is an uncaught exception that ends the process. So
 * a destination is checked before the send, the send itself is wrapped, and a failure is only ever
 * counted by the caller.
 */
import { isIP } from 'node:net';

/** Why a datagram was not handed to the kernel: a destination no send can reach, or send threw. */
export type UdpSendRefusal = 'bad-destination' | 'send-error';

/** True when `port`/`address` name somewhere a datagram can be sent (port 1..65535, an IP literal). */
export function isSendableDestination(port: number, address: string): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535 && isIP(address) !== 0;
}

/**
 * Runs `send` (a dgram send call) without letting it throw. Returns undefined when the datagram
 * was handed over, or the refusal. The destination is checked first when it is given (an
 * unconnected socket); a connected socket's sends pass none.
 */
export function guardedSend(
  send: () => void,
  destination?: { port: number; address: string },
): UdpSendRefusal | undefined {
  if (destination && !isSendableDestination(destination.port, destination.address)) return 'bad-destination';
  try {
    send();
    return undefined;
  } catch {
    return 'send-error';
  }
}
