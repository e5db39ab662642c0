/**
 * Small, fast stand-ins for tests: a byte-level tokenizer.json with a few
 * merges, and (re-exported) random integer models.
 */
import { bytesToUnicode } from '../../src/model/tokenizer.js';
export { randomModel, rng, TINY_VOCAB, type RandomModelOptions } from '../../src/model/exact/randomModel.js';


export function tinyTokenizerJson(merges: [string, string][] = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n'], ['e', 'r'], ['Ġ', 'a']]): string {
  const vocab: Record<string, number> = { '<|bos|>': 0 };
  let id = 1;
  for (const ch of bytesToUnicode()) vocab[ch] = id++;
  for (const [a, b] of merges) vocab[a + b] = id++;
  return JSON.stringify({
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: 0, content: '<|bos|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map(([a, b]) => [a, b]),
    },
  });
}


