import type { z } from 'zod';
import { NotFoundError, NotImplementedError } from '../../common/errors.js';
import { type ConferenceMethod, NOT_LIVE } from '../conference-client.js';
import {
  createRecordingBody,
  createSipCallBody,
  createStreamingInBody,
  createStreamingOutBody,
  outputPatchBody,
  participantPatchBody,
  streamPatchBody,
} from '../request-schemas.js';
import { validate } from '../validate.js';
import { type ApiDeps, type ApiRequest, param, type RouteSpec } from './route-types.js';

/**
 * Endpoints for the live state of a room (participants, streams, outputs): answered by the
 * room's conference node. Not live → lists are empty and single items are 404.
 */
export function liveRoutes(deps: ApiDeps): RouteSpec[] {
  const roomOf = async (req: ApiRequest): Promise<string> => {
    const roomId = param(req, 'room');
    if (!(await deps.rooms.exists(req.service._id, roomId)))
      throw new NotFoundError(`room ${roomId} not found`);
    return roomId;
  };

  const list = (pattern: string, method: ConferenceMethod, what: string): RouteSpec => ({
    method: 'GET',
    pattern,
    summary: `List ${what} of the room (empty when the room is not live)`,
    auth: 'service',
    handler: async (req) => {
      const roomId = await roomOf(req);
      const answer = await deps.conference.call<unknown[]>(roomId, method, []);
      return { json: answer === NOT_LIVE ? [] : answer };
    },
  });

  const item = (
    httpMethod: 'GET' | 'PATCH' | 'DELETE',
    pattern: string,
    idName: string,
    method: ConferenceMethod,
    what: string,
    body?: z.ZodType,
  ): RouteSpec => ({
    method: httpMethod,
    pattern,
    summary: `${httpMethod === 'GET' ? 'Get' : httpMethod === 'PATCH' ? 'Update' : 'Remove'} one ${what}`,
    auth: 'service',
    body,
    handler: async (req) => {
      const roomId = await roomOf(req);
      const id = param(req, idName);
      const args: unknown[] = [id];
      if (body) args.push(validate(body, req.body));
      const answer = await deps.conference.call<unknown>(roomId, method, args);
      if (answer === NOT_LIVE)
        throw new NotFoundError(`${what} ${id} not found (room ${roomId} is not live)`);
      return httpMethod === 'DELETE' ? { text: '' } : { json: answer };
    },
  });

  /** POST that creates a room output/input: validated here, again by the conference. */
  const create = (
    pattern: string,
    body: z.ZodType,
    method: ConferenceMethod,
    what: string,
    startsRoom: boolean,
  ): RouteSpec => ({
    method: 'POST',
    pattern,
    summary: startsRoom
      ? `Create a ${what} (starts the room if it is not live)`
      : `Create a ${what} of a stream in the live room (404 when not live)`,
    auth: 'service',
    body,
    handler: async (req) => {
      const roomId = await roomOf(req);
      const args = [validate(body, req.body)];
      if (startsRoom) return { json: await deps.conference.callStarting<unknown>(roomId, method, args) };
      const answer = await deps.conference.call<unknown>(roomId, method, args);
      if (answer === NOT_LIVE) throw new NotFoundError(`room ${roomId} is not live: no stream to ${what}`);
      return { json: answer };
    },
  });

  const notYet = (pattern: string, body: z.ZodType, what: string, missing: string): RouteSpec => ({
    method: 'POST',
    pattern,
    summary: `Create a ${what} (501 in this build: ${missing})`,
    auth: 'service',
    body,
    notImplemented: missing,
    handler: async (req) => {
      await roomOf(req);
      validate(body, req.body);
      throw new NotImplementedError(
        `creating a ${what} needs ${missing}, which this build does not have yet`,
      );
    },
  });

  const R = '/v1/rooms/{room}';
  return [
    list(`${R}/participants`, 'getParticipants', 'participants'),
    item('GET', `${R}/participants/{participant}`, 'participant', 'getParticipant', 'participant'),
    item(
      'PATCH',
      `${R}/participants/{participant}`,
      'participant',
      'updateParticipant',
      'participant',
      participantPatchBody,
    ),
    item('DELETE', `${R}/participants/{participant}`, 'participant', 'dropParticipant', 'participant'),
    list(`${R}/streams`, 'getStreams', 'streams'),
    item('GET', `${R}/streams/{stream}`, 'stream', 'getStream', 'stream'),
    item('PATCH', `${R}/streams/{stream}`, 'stream', 'updateStream', 'stream', streamPatchBody),
    item('DELETE', `${R}/streams/{stream}`, 'stream', 'deleteStream', 'stream'),
    create(`${R}/streaming-ins`, createStreamingInBody, 'addStreamingIn', 'streaming-in', true),
    item('DELETE', `${R}/streaming-ins/{stream}`, 'stream', 'deleteStream', 'streaming-in'),
    list(`${R}/streaming-outs`, 'getStreamingOuts', 'streaming-outs'),
    create(`${R}/streaming-outs`, createStreamingOutBody, 'addStreamingOut', 'streaming-out', false),
    item('PATCH', `${R}/streaming-outs/{id}`, 'id', 'updateStreamingOut', 'streaming-out', outputPatchBody),
    item('DELETE', `${R}/streaming-outs/{id}`, 'id', 'deleteStreamingOut', 'streaming-out'),
    list(`${R}/recordings`, 'getRecordings', 'recordings'),
    create(`${R}/recordings`, createRecordingBody, 'addRecording', 'recording', false),
    item('PATCH', `${R}/recordings/{id}`, 'id', 'updateRecording', 'recording', outputPatchBody),
    item('DELETE', `${R}/recordings/{id}`, 'id', 'deleteRecording', 'recording'),
    list(`${R}/sipcalls`, 'getSipCalls', 'sip calls'),
    notYet(`${R}/sipcalls`, createSipCallBody, 'sip call', 'a SIP agent (not planned yet)'),
    item('PATCH', `${R}/sipcalls/{id}`, 'id', 'updateSipCall', 'sip call', outputPatchBody),
    item('DELETE', `${R}/sipcalls/{id}`, 'id', 'deleteSipCall', 'sip call'),
  ];
}
