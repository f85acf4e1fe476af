import { buildMAuthHeader } from '../common/auth/mauth.js';
import { MediaSpreadError } from '../common/errors.js';

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  serviceId: string;
  serviceKey: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
}

/** Returned for non-2xx answers by `requestOk`. */
export class ApiRequestError extends MediaSpreadError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message, { code: 'API_REQUEST_FAILED', data: { status } });
  }
}

/** A MAuth-signing client of the management API (admin CLI, tests, scripts). */
export class ManagementApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async request(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const headers: Record<string, string> = {
      Authorization: buildMAuthHeader({
        serviceId: this.options.serviceId,
        serviceKey: this.options.serviceKey,
      }),
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(new URL(path, this.options.url), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  /** Like request(), but a non-2xx answer throws ApiRequestError with the server's message. */
  async requestOk(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) {
      const err = (res.json as { error?: { message?: unknown } } | undefined)?.error;
      const message = typeof err?.message === 'string' ? err.message : res.text || `HTTP ${res.status}`;
      throw new ApiRequestError(`${method} ${path}: ${res.status} ${message}`, res.status);
    }
    return res;
  }
}
