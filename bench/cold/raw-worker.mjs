// bench/cold: the floor, a worker thread that posts one message.
import { parentPort } from 'node:worker_threads';
parentPort.postMessage(1);
