/**
 * Where a worker finds the code that turns markers back into objects: shared
 * memory objects (weft/threading) and brokered proxies (weft/multiprocessing).
 * Loaded only when a task's arguments hold such a marker, so a worker that
 * never receives one never loads either model.
 */
export type Reviver = (type: string, data: unknown) => object;

const LOADERS = {
  shared: async (): Promise<Reviver> => (await import('../threading/revive.js')).revive,
  brokered: async (): Promise<Reviver> => (await import('../multiprocessing/revive.js')).revive,
} as const;

/** The reviver of one kind of marker (the module is imported once). */
export function loadReviver(kind: keyof typeof LOADERS): Promise<Reviver> {
  return LOADERS[kind]();
}
