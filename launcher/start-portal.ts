import { RemoteTokenVerifier } from '../common/auth/token-rpc.js';
import type { TokenVerifierLike } from '../common/auth/token-service.js';
import type { RpcBus } from '../common/rpc/rpc-bus.js';
import { runPortal } from '../portal/main.js';
import type { MediaspreadConfig } from './config-schema.js';
import type { RunningPart } from './running-part.js';

export interface StartPortalOptions {
  /** Defaults to checking tokens over RPC with the management API (which owns the store). */
  tokens?: TokenVerifierLike;
  /** Served at `/` (the demo page). */
  staticDir?: string;
}

/** The portal part: socket.io signalling, registered with the cluster manager as 'portal'. */
export async function startPortal(
  bus: RpcBus,
  config: MediaspreadConfig,
  options: StartPortalOptions = {},
): Promise<RunningPart> {
  const portal = await runPortal({
    bus,
    tokens: options.tokens ?? new RemoteTokenVerifier(bus, config.rpc.defaultTimeoutMs),
    config: config.portal,
    staticDir: options.staticDir,
  });
  return {
    name: 'portal',
    urls: {
      'Portal (socket.io)': portal.url,
      ...(options.staticDir ? { 'Demo page': `${portal.url}/` } : {}),
    },
    stop: () => portal.close(),
  };
}
