import type { z } from 'zod';
import type { MAuthIdentity } from '../../common/auth/mauth.js';
import type { TokenService } from '../../common/auth/token-service.js';
import type { ConferenceClient } from '../conference-client.js';
import type { ManagementApiConfig } from '../config.js';
import type { HttpMethod } from '../http/router.js';
import type { PortalLocator } from '../portal-locator.js';
import type { RoomsRepository } from '../rooms-repository.js';
import type { ServiceRecord, ServicesRepository } from '../services-repository.js';

/** What every route handler can use. */
export interface ApiDeps {
  services: ServicesRepository;
  rooms: RoomsRepository;
  conference: ConferenceClient;
  portals: PortalLocator;
  tokens: TokenService;
  config: ManagementApiConfig;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body (undefined when empty); handlers validate it. */
  body: unknown;
  identity: MAuthIdentity;
  service: ServiceRecord;
}

export interface ApiResult {
  status?: number;
  json?: unknown;
  /** Plain text body (tokens, OWT's 'Room deleted'). */
  text?: string;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: ApiRequest) => Promise<ApiResult>;

export interface RouteSpec {
  method: HttpMethod;
  pattern: string;
  summary: string;
  /** 'service': any authenticated service; 'super': the super service; 'none': public. */
  auth: 'service' | 'super' | 'none';
  /** Request body schema (also used for the OpenAPI document). */
  body?: z.ZodType;
  /** Response body schema, when it is one of ours. */
  response?: z.ZodType;
  /** Answers 501 in this build (media part not there yet). */
  notImplemented?: string;
  handler: RouteHandler;
}

export function param(req: ApiRequest, name: string): string {
  const value = req.params[name];
  if (value === undefined) throw new Error(`route has no {${name}} parameter`);
  return value;
}
