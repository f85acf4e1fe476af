import {
  MediaSpreadError,
  type MediaSpreadErrorOptions,
  NotFoundError,
  registerErrorClass,
} from '../common/errors.js';

/** Joining a room that has reached its participantLimit. */
export class RoomFullError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'ROOM_FULL', ...options });
  }
}

/** Publishing into a room that has reached its inputLimit. */
export class InputLimitError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'INPUT_LIMIT', ...options });
  }
}

/** The room has no live controller on this node (never joined, released or destroyed). */
export class RoomNotLiveError extends NotFoundError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'NOT_FOUND', ...options });
  }
}

/** A media operation that the webrtc side could not set up (scheduling, node or transport failure). */
export class MediaSetupError extends MediaSpreadError {
  constructor(message: string, options: MediaSpreadErrorOptions = {}) {
    super(message, { code: 'UNAVAILABLE', ...options });
  }
}

for (const cls of [RoomFullError, InputLimitError, RoomNotLiveError, MediaSetupError])
  registerErrorClass(cls);
