/**
 * A Thread's arguments: transfer() markers move their objects (a MessagePort, an
 * ArrayBuffer) to the thread; options given as an array get a hint.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Thread } from 'weft/threading';
import { transfer } from 'weft';
import { guard } from '../contracts/helpers.ts';

describe('Thread arguments', { timeout: 30_000 }, () => {
  it('transfer() markers move a MessagePort and an ArrayBuffer to the thread', async () => {
    const { port1, port2 } = new MessageChannel();
    const buf = new Uint8Array([1, 2, 3]).buffer;
    const t = new Thread(
      (port: MessagePort, b: ArrayBuffer) => {
        port.postMessage(new Uint8Array(b).reduce((x, y) => x + y, 0));
        port.close();
        return b.byteLength;
      },
      { args: [transfer(port2, [port2]), transfer(buf, [buf])] },
    );
    const got = new Promise((r) => port1.once('message', r));
    t.start();
    assert.equal(buf.byteLength, 0, 'the buffer was moved, not copied');
    assert.equal(await guard(got, 'message from the thread'), 6);
    assert.equal(await guard(t.join(), 'join'), 3);
    port1.close();
  });

  it('an array given as options is a TypeError that says to name it args', () => {
    assert.throws(
      () => new Thread((a: number, b: number) => a + b, [2, 10] as any),
      /got an array \[2, 10\]; to pass an array, name it: \{ args: \[\.\.\.\] \}/,
    );
  });
});
