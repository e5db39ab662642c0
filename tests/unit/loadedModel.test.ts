/**
 * Loading an exact model: the tokenizer is parsed when first used, so the
 * chunk workers (which only code token ids) never pay its ~9 MB each, and a
 * tokenizer that cannot be read still fails with a typed error at that use.
 */
import { describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../src/codec/errors.js';
import { loadExactModel } from '../../src/model/loadedModel.js';
import { randomModel, tinyTokenizerJson } from '../helpers/fixtures.js';

describe('loadExactModel', () => {
  it('reads the tokenizer when first used: a worker that codes ids never parses it', async () => {
    // (no tokenizer hash in this model file, so nothing checks the text at load)
    const model = await loadExactModel(randomModel({}), '{"this is": not JSON', { backend: 'ts' });
    const logits = await model.engine.prefill([Int32Array.of(1, 2, 3)]);
    expect(logits[0]!.length).toBe(3 * model.identity.config.vocab);
    expect(() => model.tokenizer).toThrow(ModelLoadError);
    expect(() => model.tokenizer).toThrow(/The tokenizer could not be read/);
  });

  it('parses a good tokenizer once, on first use', async () => {
    const model = await loadExactModel(randomModel({}), tinyTokenizerJson(), { backend: 'ts' });
    const first = model.tokenizer;
    expect(first.decode(first.encode(new TextEncoder().encode('abc')))).toEqual(new TextEncoder().encode('abc'));
    expect(model.tokenizer).toBe(first);
  });
});
