/**
 * A small typed event emitter (browser and Node alike, no DOM dependency). A listener that
 * throws does not stop the others: the error is reported asynchronously, like DOM events do.
 */
export type EventMap = { [event: string]: unknown };
export type Listener<T> = (event: T) => void;

export class TypedEmitter<M extends EventMap> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();

  on<K extends keyof M>(type: K, listener: Listener<M[K]>): this {
    let set = this.listeners.get(type);
    if (!set) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  off<K extends keyof M>(type: K, listener: Listener<M[K]>): this {
    this.listeners.get(type)?.delete(listener as Listener<never>);
    return this;
  }

  once<K extends keyof M>(type: K, listener: Listener<M[K]>): this {
    const wrapper: Listener<M[K]> = (event) => {
      this.off(type, wrapper);
      listener(event);
    };
    return this.on(type, wrapper);
  }

  /** OWT SDK spelling, kept so that OWT pages port easily. */
  addEventListener<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    this.on(type, listener);
  }

  removeEventListener<K extends keyof M>(type: K, listener: Listener<M[K]>): void {
    this.off(type, listener);
  }

  protected emit<K extends keyof M>(type: K, event: M[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const listener of [...set] as Listener<M[K]>[]) {
      try {
        listener(event);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
