/** A worker_threads entry that only codes chunks (the Node pool's threads). */
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { parentPort } from 'node:worker_threads';
import { exposeChunkCoder } from '../shared/chunkCoderWorker.js';
import { nodeModels } from './nodeModelSource.js';

exposeChunkCoder(nodeEndpoint(parentPort!), (spec) => nodeModels.loadExact(spec.model, spec.backend));
