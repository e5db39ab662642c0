/** Loaded tiny models for pipeline tests. */
import { loadExactModel, sha256Hex, type LoadedModel, type LoadOptions } from '../../src/model/loadedModel.js';
import { randomModel, tinyTokenizerJson, type RandomModelOptions } from './fixtures.js';

export async function tinyModel(o: RandomModelOptions = {}, load: LoadOptions = {}): Promise<LoadedModel> {
  const tok = tinyTokenizerJson();
  const sha = await sha256Hex(new TextEncoder().encode(tok));
  return loadExactModel(randomModel({ ...o, tokenizerSha256: sha }), tok, load);
}
