/**
 * Forcing a full garbage collection from a test, without `--expose-gc` on the test
 * runner's command line: the flag is set at run time and `gc` taken from a new
 * context (where V8 installs it once the flag is on).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** Runs `times` full GCs (several: one may leave what a finalizer or a WeakRef freed). */
export function fullGc(times = 4): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < times; i++) gc();
}
