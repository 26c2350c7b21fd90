import { BoundedSemaphore, Condition, Lock, Semaphore } from 'weft/threading';
import { lockLikeContract } from '../contracts/lock-like.contract.ts';

// The same contract as weft/asyncio's locks (test/asyncio/lock-like.test.ts), on the
// shared-memory locks used from one thread with their async methods. RLock (and a
// Condition over one) is re-entrant for the thread that holds it, so one thread cannot
// contend with itself: test/threading/cross-thread.test.ts covers it across threads.
const caps = { fifo: false, statistics: false };
lockLikeContract('threading.Lock', () => new Lock(), 1, caps);
lockLikeContract('threading.Semaphore(1)', () => new Semaphore(1), 1, caps);
lockLikeContract('threading.Semaphore(3)', () => new Semaphore(3), 3, caps);
lockLikeContract('threading.BoundedSemaphore(2)', () => new BoundedSemaphore(2), 2, caps);
lockLikeContract('threading.Condition(Lock)', () => new Condition(new Lock()), 1, caps);
