/** `asCompleted`: see core/wait.ts (shared with weft/futures). */
export { asCompleted, type AsCompletedOptions } from '../core/wait.js';
