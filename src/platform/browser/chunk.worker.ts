/** A browser worker that only codes chunks (the codec worker's helpers). */
import { exposeChunkCoder } from '../shared/chunkCoderWorker.js';
import { loadModelFromUrl } from './browserModelSource.js';

exposeChunkCoder(self as unknown as Worker, (url, backend) => loadModelFromUrl(url, backend));
