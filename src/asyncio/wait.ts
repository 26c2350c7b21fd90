/** `wait`: see core/wait.ts (shared with weft/futures). */
export {
  wait,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  ALL_COMPLETED,
  type ReturnWhen,
  type WaitForOptions,
  type WaitResult,
  type AsFuture,
} from '../core/wait.js';
