import type { LocalBus } from '../../common/rpc/local-bus.js';
import type {
  CallOptions,
  Leadership,
  MonitorListener,
  MonitorSubscription,
  RpcBus,
  RpcHandlers,
  RpcServer,
} from '../../common/rpc/rpc-bus.js';

let forwards = 0;

/**
 * Drives the IpcBus of a forked child (fixtures/ipc-child.ts) from the test process, so that
 * the contract suite can run against it: each operation is performed by the child's real
 * IpcBus; handlers and listeners stay here, reached by forwarding ids on the parent bus.
 */
export class ChildBusProxy implements RpcBus {
  constructor(
    private readonly parent: LocalBus,
    private readonly controlId: string,
  ) {}

  call<T = unknown>(target: string, method: string, args: unknown[], options: CallOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.parent.defaultTimeoutMs;
    return this.parent.call<T>(this.controlId, 'call', [target, method, args, timeoutMs], {
      timeoutMs: timeoutMs + 5000,
    });
  }

  cast(target: string, method: string, args: unknown[]): void {
    this.parent.cast(this.controlId, 'cast', [target, method, args]);
  }

  async serve(id: string, handlers: RpcHandlers): Promise<RpcServer> {
    const forward = await this.parent.serve(`${id}.forward-${++forwards}`, handlers);
    await this.parent.call(this.controlId, 'serve', [id, forward.id, Object.keys(handlers)]);
    return {
      id,
      close: async () => {
        await this.parent.call(this.controlId, 'unserve', [id]);
        await forward.close();
      },
    };
  }

  publish(topic: string, event: unknown): void {
    this.parent.cast(this.controlId, 'publish', [topic, event]);
  }

  async subscribe(topic: string, listener: MonitorListener): Promise<MonitorSubscription> {
    const forward = await this.parent.serve(`subscription.forward-${++forwards}`, {
      event: (event: unknown) => listener(event),
    });
    const key = await this.parent.call<string>(this.controlId, 'subscribe', [topic, forward.id]);
    return {
      close: async () => {
        await this.parent.call(this.controlId, 'unsubscribe', [key]);
        await forward.close();
      },
    };
  }

  async acquireLeadership(name: string): Promise<Leadership> {
    let markLost!: () => void;
    const lost = new Promise<void>((resolve) => {
      markLost = resolve;
    });
    const forward = await this.parent.serve(`leadership.forward-${++forwards}`, { lost: () => markLost() });
    const key = await this.parent.call<string>(this.controlId, 'lead', [name, forward.id], {
      timeoutMs: 120_000,
    });
    void lost.then(() => forward.close());
    return { lost, release: () => this.parent.call(this.controlId, 'release', [key]) };
  }

  async close(): Promise<void> {}
}
