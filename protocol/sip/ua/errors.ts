// Typed failures of the UA layer: a final non-2xx response (received or made up locally, RFC 3261
// §8.1.3.1) and local misuse/state errors. UAC calls reject with these; nothing is thrown past a socket.
import type { SipResponse } from '../message.js';
import { type LocalFailure, localFailureOf } from '../transaction/index.js';

/** A request ended with a non-2xx final response (3xx–6xx, or a local 408/503). */
export class SipRequestError extends Error {
  override readonly name = 'SipRequestError';
  readonly status: number;
  readonly reason: string;
  /** Set when the transaction layer generated the response: 'timeout' (408), 'transport-error' / 'closed' (503). */
  readonly localFailure: LocalFailure | undefined;

  constructor(
    readonly method: string,
    readonly response: SipResponse,
  ) {
    const localFailure = localFailureOf(response);
    super(
      `${method} failed: ${response.status} ${response.reason}${localFailure ? ` (local ${localFailure})` : ''}`,
    );
    this.status = response.status;
    this.reason = response.reason;
    this.localFailure = localFailure;
  }
}

export type UaErrorCode =
  /** The response API was used after a final response went out (or the INVITE was cancelled). */
  | 'already-answered'
  /** RFC 3261 §13.3.1.4: no ACK for our 2xx within 64*T1. */
  | 'ack-timeout'
  /** The session/subscription ended before what was awaited happened. */
  | 'terminated'
  /** The INVITE was cancelled locally but the callee answered 2xx (it was ACKed and BYEd, §9.1). */
  | 'cancelled'
  /** A peer message lacked what the rule needs (no Contact, unreadable header...). */
  | 'bad-message'
  /** A message could not be sent (e.g. our 2xx). */
  | 'transport-error'
  /** The UA is closed. */
  | 'closed'
  /** The request would exceed the transport's message size limit (RFC 3261 §18.1.1): not sent. */
  | 'too-large';

export class UaError extends Error {
  override readonly name = 'UaError';
  constructor(
    readonly code: UaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
