export { Reactor } from './reactor.js';
export type { JobRef, ReactorOptions, ReactorSubmitOptions, ReactorEventListener, PollErrorListener } from './reactor.js';
export { ReactorFuture } from './reactor-future.js';
