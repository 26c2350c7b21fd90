import { BoundedSemaphore, Condition, Lock, Semaphore } from 'weft/asyncio';
import { lockLikeContract } from '../contracts/lock-like.contract.ts';

lockLikeContract('Lock', () => new Lock(), 1);
lockLikeContract('Semaphore(1)', () => new Semaphore(1), 1);
lockLikeContract('Semaphore(3)', () => new Semaphore(3), 3);
lockLikeContract('BoundedSemaphore(2)', () => new BoundedSemaphore(2), 2);
lockLikeContract('Condition', () => new Condition(), 1);
