const sab = new SharedArrayBuffer(8); const i32 = new Int32Array(sab);
const r = Atomics.waitAsync(i32, 0, 0);
r.value.then((v) => console.log('woken', v));
console.log('notify ->', Atomics.notify(i32, 0, 1));
const h = setInterval(() => {}, 1000);
r.value.then(() => clearInterval(h));
