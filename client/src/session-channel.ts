/** What a publication or subscription needs from its client: send a request, forget it once ended. */
export interface SessionChannel {
  request(name: string, data: unknown): Promise<unknown>;
  release(sessionId: string): void;
}
