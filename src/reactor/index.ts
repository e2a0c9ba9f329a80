export { Reactor } from './reactor.js';
export type { JobRef, ReactorOptions, ReactorSubmitOptions, ReactorEventListener } from './reactor.js';
export { ReactorFuture } from './reactor-future.js';
