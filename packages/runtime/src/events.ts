/**
 * Typed events on a standard EventTarget, so apps can use either
 * `addEventListener` (CustomEvent with `detail`) or the shorter `on`.
 */
import type { Recommender, RecommenderEventName, RecommenderEvents, RecommenderOptions } from './types.js';

/** A load's event target with the listeners of the options' `on` registered. */
export function eventsOf(options: RecommenderOptions): RecommenderEventTarget {
  const events = new RecommenderEventTarget();
  for (const [event, listener] of Object.entries(options.on ?? {})) {
    if (listener) events.on(event as RecommenderEventName, listener as (d: unknown) => void);
  }
  return events;
}

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

/** A recommender's listener methods, over the event target it emits on (in-thread, or the worker's mirror). */
export abstract class EventSurface implements Pick<Recommender, 'on' | 'addEventListener' | 'removeEventListener'> {
  constructor(protected readonly events: RecommenderEventTarget) {}

  on<E extends RecommenderEventName>(event: E, listener: (detail: RecommenderEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  addEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void {
    this.events.addEventListener(event, listener as EventListener);
  }

  removeEventListener<E extends RecommenderEventName>(event: E, listener: (ev: CustomEvent<RecommenderEvents[E]>) => void): void {
    this.events.removeEventListener(event, listener as EventListener);
  }
}
