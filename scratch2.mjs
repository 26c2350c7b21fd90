const sab = new SharedArrayBuffer(8); const i32 = new Int32Array(sab);
const r = Atomics.waitAsync(i32, 0, 0);
console.log('async?', r.async);
r.value.then((v) => console.log('woken', v));
setTimeout(() => { console.log('notify ->', Atomics.notify(i32, 0, 1)); }, 0);
