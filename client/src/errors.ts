/**
 * Errors the SDK raises. Each has a stable `name` so that pages can tell them apart without
 * importing the classes.
 */
export class ConferenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The portal answered a request with `error` (the reason is the message). */
export class RequestRejectedError extends ConferenceError {
  constructor(
    readonly request: string,
    readonly reason: string,
  ) {
    super(`${request} rejected: ${reason}`);
  }
}

/** No answer in time: an ack, an SDP answer or a session's `ready`. */
export class ConferenceTimeoutError extends ConferenceError {}

/** The signalling connection is gone (left, dropped or reconnection failed). */
export class DisconnectedError extends ConferenceError {}

/** The token or reconnection ticket could not be decoded. */
export class InvalidTokenError extends ConferenceError {}

/** A publication or subscription failed on the server side (`progress` status `error`). */
export class SessionFailedError extends ConferenceError {}

/** The peer connection failed (ICE/DTLS) or an SDP could not be applied. */
export class TransportError extends ConferenceError {}
