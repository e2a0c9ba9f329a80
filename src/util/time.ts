const TIME_ORIGIN = performance.timeOrigin;

/** Wall-clock time in float seconds since the Unix epoch, with sub-millisecond resolution (Flux's unit). */
export function now(): number {
  return (TIME_ORIGIN + performance.now()) / 1000;
}

/** Wall-clock time in float seconds since the Unix epoch, at millisecond resolution (`Date.now() / 1000`). */
export function epochSeconds(): number {
  return Date.now() / 1000;
}
