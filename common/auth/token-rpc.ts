import type { RpcBus, RpcServer } from '../rpc/rpc-bus.js';
import type { TokenRecord, TokenService, TokenVerifierLike } from './token-service.js';

/**
 * For processes that cannot open the store themselves (e.g. a portal node in all-in-one mode,
 * where the embedded store belongs to one process): the store's owner serves token checks under
 * TOKEN_SERVICE_ID; TokenInvalidError crosses RPC as itself.
 */
export const TOKEN_SERVICE_ID = 'token-service';

export function serveTokenVerifier(bus: RpcBus, tokens: TokenService): Promise<RpcServer> {
  return bus.serve(TOKEN_SERVICE_ID, {
    verifyAndConsume: (token: unknown) => tokens.verifyAndConsume(typeof token === 'string' ? token : ''),
  });
}

export class RemoteTokenVerifier implements TokenVerifierLike {
  constructor(
    private readonly bus: RpcBus,
    private readonly timeoutMs = 5000,
  ) {}

  verifyAndConsume(token: string): Promise<TokenRecord> {
    return this.bus.call<TokenRecord>(TOKEN_SERVICE_ID, 'verifyAndConsume', [token], {
      timeoutMs: this.timeoutMs,
    });
  }
}
