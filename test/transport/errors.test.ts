/**
 * Errors across threads and processes: every error class weft exports, and the
 * built-in ones, survive serializeError/deserializeError with class, name,
 * message, stack, cause and own properties; and through real workers.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import * as weft from 'weft';
import { ProcessPoolExecutor, ThreadPoolExecutor, ExceptionGroup } from 'weft';
import { deserializeError, serializeError } from '../../src/transport/errors.ts';
import * as errorClasses from '../../src/core/errors.ts';
import { guard } from '../contracts/helpers.ts';

const pools = [new ThreadPoolExecutor({ maxWorkers: 1 }), new ProcessPoolExecutor({ maxWorkers: 1 })];
after(() => Promise.all(pools.map((p) => p.shutdown())));

/** Every Error subclass exported by src/core/errors.ts. */
const CLASSES = Object.entries(errorClasses).filter(([, v]) => typeof v === 'function' && (v as Function).prototype instanceof Error) as [
  string,
  new (...a: any[]) => Error,
][];

function make(name: string, C: new (...a: any[]) => Error): Error {
  if (C === (errorClasses.ExceptionGroup as unknown)) return new C([new TypeError('a'), new RangeError('b')], 'two failed');
  return new C(`a ${name}`, { cause: new Error('the cause') });
}

describe('errors cross threads and processes', { timeout: 60_000 }, () => {
  it('every error class of src/core/errors.ts is exported from weft', () => {
    assert.ok(CLASSES.length >= 14, `found ${CLASSES.length}`);
    // (the package's build and these sources are different module instances: compare by name)
    for (const [name] of CLASSES) assert.equal(((weft as Record<string, unknown>)[name] as Function | undefined)?.name, name, name);
  });

  for (const [name, C] of CLASSES) {
    it(`${name}: class, name, message, stack, cause and own properties survive a round trip`, () => {
      const err = make(name, C);
      (err as any).code = 'E_X';
      (err as any).details = { attempt: 2, tags: ['a'] };
      const back = deserializeError(structuredClone(serializeError(err))) as Error;
      assert.ok(back instanceof C, `${name} instance`);
      assert.equal(back.name, err.name);
      assert.equal(back.message, err.message);
      assert.equal(back.stack, err.stack);
      assert.equal((back as any).code, 'E_X');
      assert.deepEqual((back as any).details, { attempt: 2, tags: ['a'] });
      if (!(err instanceof AggregateError)) assert.equal((back.cause as Error).message, 'the cause');
    });
  }

  for (const p of pools) {
    const kind = p instanceof ThreadPoolExecutor ? 'thread' : 'process';
    it(`an ExceptionGroup thrown in a ${kind} arrives once suffixed, with its sub-errors`, async () => {
      // A real group, built in the worker from the weft package.
      const real = await guard(
        p
          .submit(async () => {
            const { ExceptionGroup: EG } = await import('weft');
            throw new EG([new TypeError('a'), new RangeError('b')], 'two failed');
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
        'group',
      );
      assert.ok(real instanceof ExceptionGroup, String(real));
      assert.equal((real as ExceptionGroup).message, 'two failed (2 sub-exceptions)');
      assert.equal((real as ExceptionGroup).errors.length, 2);
      assert.ok((real as ExceptionGroup).errors[0] instanceof TypeError);
    });
  }
});
