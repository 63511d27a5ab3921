/**
 * Typed events on a standard EventTarget, so apps can use either
 * `addEventListener` (CustomEvent with `detail`) or the shorter `on`.
 */
import type { RecommenderEventName, RecommenderEvents } from './types.js';

export class RecommenderEventTarget extends EventTarget {
  emit<E extends RecommenderEventName>(event: E, detail: RecommenderEvents[E]): void {
    this.dispatchEvent(new CustomEvent(event, { detail }));
  }

  on<E extends RecommenderEventName>(event: E, listener: (detail: RecommenderEvents[E]) => void): () => void {
    const wrapped = (ev: Event) => listener((ev as CustomEvent<RecommenderEvents[E]>).detail);
    this.addEventListener(event, wrapped);
    return () => this.removeEventListener(event, wrapped);
  }
}
