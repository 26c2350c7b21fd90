/**
 * A cache keyed by something without a bound: an inline task's source. Each new
 * source adds an entry, and a program that builds its task functions (`new Function`
 * with a constant baked in, a template per job) would fill the cache for ever; so
 * when it is full the oldest entry goes (first in, first out: a hit costs nothing
 * more than a Map lookup, and a source evicted while still in use is only measured
 * or compiled once more).
 */

/** Most inline task sources a pool keeps timings for, and a worker keeps compiled. */
export const INLINE_CACHE_MAX = 256;

/** Sets `key` in `map`, dropping its oldest entry first when it already holds `max` others. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max = INLINE_CACHE_MAX): void {
  if (map.size >= max && !map.has(key)) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
