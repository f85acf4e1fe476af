import { NotFoundError } from '../../common/errors.js';
import { MethodNotAllowedError } from '../errors.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
}

interface Route<H> {
  method: HttpMethod;
  segments: string[];
  handler: H;
}

/**
 * Minimal path router: patterns like `/v1/rooms/{room}/streams/{stream}`; a `{name}` segment
 * matches one non-empty path segment (URL-decoded). Unknown path → NotFoundError, known path
 * with another method → MethodNotAllowedError.
 */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: HttpMethod, pattern: string, handler: H): this {
    this.routes.push({ method, segments: splitPath(pattern), handler });
    return this;
  }

  match(method: string, path: string): RouteMatch<H> {
    const parts = splitPath(path);
    let pathKnown = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      pathKnown = true;
      if (route.method === method) return { handler: route.handler, params };
    }
    if (pathKnown) throw new MethodNotAllowedError(`${method} is not supported on ${path}`);
    throw new NotFoundError(`no such resource: ${path}`);
  }

  /** (method, pattern) pairs, for the OpenAPI document. */
  list(): Array<{ method: HttpMethod; pattern: string; handler: H }> {
    return this.routes.map((r) => ({
      method: r.method,
      pattern: `/${r.segments.join('/')}`,
      handler: r.handler,
    }));
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const part = parts[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return null;
      }
      params[p.slice(1, -1)] = value;
    } else if (p !== part) {
      return null;
    }
  }
  return params;
}
