/** A browser worker that only codes chunks (the codec worker's helpers). */
import { exposeChunkCoder } from '../shared/chunkCoderWorker.js';
import { loadModelFromUrl } from './browserModelSource.js';

exposeChunkCoder(self as unknown as Worker, (spec) => loadModelFromUrl(spec.model, spec.backend, spec.sha256));
