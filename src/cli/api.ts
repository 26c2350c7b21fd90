/**
 * The parts of weft's public API the CLI uses, reached through the public
 * entry points only (weft, weft/futures, weft/asyncio, weft/threading).
 */
export { ThreadPoolExecutor, ProcessPoolExecutor, AsyncExecutor, type Executor } from '../futures/index.js';
export { cpuCount } from '../index.js';
export * as asyncio from '../asyncio/index.js';
export * as threading from '../threading/index.js';
