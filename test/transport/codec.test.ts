/**
 * The argument codec: what cannot be sent is refused with a TypeError that
 * names the argument and the path inside it; class instances with methods are
 * refused by class name; built-ins, cycles and plain data go through untouched.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeArgs, explainUnsendable } from '../../src/transport/codec.ts';
import { Value } from '../../src/threading/value.ts';

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
class Plain {
  a = 1;
}

const refuse = (args: unknown[], re: RegExp, forProcess = false) =>
  assert.throws(
    () => encodeArgs(args, [], forProcess),
    (e: unknown) => e instanceof TypeError && re.test(e.message),
    String(re),
  );

describe('argument codec', { timeout: 10_000 }, () => {
  it('names the argument and the path of a function, also inside arrays and Maps', () => {
    refuse([1, { options: { onDone: () => 1 } }], /^Argument 2 \.options\.onDone is a function named onDone: functions cannot be sent/);
    refuse([[0, [1, Symbol('s')]]], /^Argument 1 \[1\]\[1\] is a symbol/);
    refuse([new Map([['k', { f() {} }]])], /^Argument 1 \.get\("k"\)\.f is a function/);
    refuse([() => 1], /^Argument 1 is a function/);
  });

  it('names the exact path through every kind of step, after deeper siblings and earlier arguments', () => {
    const deepSibling = { a: [[1, { deep: { x: { y: [{}] } } }]] };
    refuse(
      [
        deepSibling,
        {
          ...deepSibling,
          b: new Map<unknown, unknown>([
            [{ k: 1 }, 1],
            ['v', new Set([1, { bad: Symbol('s') }])],
          ]),
        },
      ],
      /^Argument 2 \.b\.get\("v"\)\.<item 1>\.bad is a symbol/,
    );
    refuse([{ m: new Map([[() => 1, 1]]) }], /^Argument 1 \.m\.<key 0> is a function/);
    refuse([{ m: new Map([[{}, [0, 1n, () => 1]]]) }], /^Argument 1 \.m\.get\(<object>\)\[2\] is a function/);
    refuse(
      [
        {
          list: [
            {},
            {
              get y(): number {
                throw new Error('nope');
              },
            },
          ],
        },
      ],
      /^Argument 1 \.list\[1\]\.y could not be read: its getter threw nope/,
    );
    refuse([[{ p: { q: new Point(1, 2) } }]], /^Argument 1 \[0\]\.p\.q is an instance of class Point/);
  });

  it('refuses an instance of a class with methods by its class name, and says what to send', () => {
    refuse(
      [{ shape: new Point(3, 4) }],
      /^Argument 1 \.shape is an instance of class Point: it would arrive as a plain object without its methods/,
    );
  });

  it('lets platform objects through (a MessagePort to transfer, a Blob)', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      assert.equal(encodeArgs([port2, { blob: new Blob(['x']) }], [port2], false), 0);
    } finally {
      port1.close();
      port2.close();
    }
  });

  it('lets plain data, built-ins, class instances without methods and cycles through', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const args = [
      { d: new Date(0), r: /x/g, m: new Map([[1, [2]]]), s: new Set([1]), t: new Uint8Array(2), e: new TypeError('t') },
      cyclic,
      new Plain(),
      Object.create(null),
      [1, 'two', null, undefined, 3n],
    ];
    assert.equal(encodeArgs(args, [], true), 0);
  });

  it('a getter that throws is named; shared memory sent to a process is named', () => {
    refuse(
      [
        {
          get x(): number {
            throw new Error('nope');
          },
        },
      ],
      /^Argument 1 \.x could not be read: its getter threw nope/,
    );
    refuse([{ buf: new SharedArrayBuffer(8) }], /^Argument 1 \.buf is a SharedArrayBuffer: shared memory does not cross processes/, true);
    assert.equal(encodeArgs([{ buf: new SharedArrayBuffer(8) }], [], false), 0, 'threads share it');
  });

  it('a second reference to an object holding shared memory gets the same encoding; inside a Map or Set it is refused', () => {
    const v = new Value('int32', 1);
    const o = { v };
    const args: unknown[] = [{ a: o, b: o }];
    assert.notEqual(encodeArgs(args, [], false), 0, 'flags say shared memory travels');
    const enc = args[0] as { a: { v: unknown }; b: { v: unknown } };
    assert.notEqual(enc.a.v, v, 'the Value is replaced by a marker');
    assert.equal(enc.b, enc.a, 'the second reference is encoded the same (not the raw Value)');
    refuse([new Map([['k', v]])], /argument 1 \.get\("k"\) holds a weft shared or brokered object inside a Map or Set/i);
    refuse([new Set([o])], /inside a Map or Set/);
  });

  it('explainUnsendable finds the deepest part structured clone refuses', () => {
    const err = explainUnsendable([1, { a: { b: new WeakMap() } }], new Error('DataCloneError'));
    assert.match(err.message, /^Argument 2 \.a\.b cannot be sent to a worker: .*could not be cloned/);
    assert.match(explainUnsendable([{ f: new WeakSet() }], undefined, 'initargs item').message, /^initargs item 1 \.f/);
  });
});
