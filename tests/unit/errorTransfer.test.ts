import { MessageChannel } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/codec/errors.js';
import { ERROR_CLASSES, errorRecord, guardErrors, reviveError } from '../../src/platform/shared/errorTransfer.js';

/** One instance of every error class, with the arguments its constructor takes. */
const samples: errors.LlmzError[] = Object.values(ERROR_CLASSES).map((C) => {
  if (C === errors.WrongModelError) return new errors.WrongModelError('llmz-mystery', 'llmz-base', 'weights 0011');
  if (C === errors.UnsupportedVersionError) return new errors.UnsupportedVersionError(9, 1);
  if (C === errors.ModelIntegrityError) return new errors.ModelIntegrityError('llmz-base', 'aa'.repeat(32), 'bb'.repeat(32), 'Download it again.');
  return new (C as new (m: string) => errors.LlmzError)(`a ${C.name} happened`);
});

describe('errors across a worker boundary', () => {
  it('every error class is registered under its own literal name, and every exported class is registered', () => {
    for (const [key, C] of Object.entries(ERROR_CLASSES)) expect(samples.find((e) => e instanceof C && e.constructor === C)!.name).toBe(key);
    const exported = Object.values(errors).filter((v) => typeof v === 'function');
    expect(new Set(Object.values(ERROR_CLASSES))).toEqual(new Set(exported));
  });

  it('the name is a literal, not the class name a minifier may change', () => {
    // a subclass renamed the way a minifier renames it keeps the literal name
    const Renamed = { x: class extends errors.CorruptArchiveError {} }.x;
    expect(new Renamed('m').name).toBe('CorruptArchiveError');
  });

  it('a record revives into the same class with its message and fields', () => {
    for (const e of samples) {
      const back = reviveError(structuredClone(errorRecord(e)));
      expect(back.constructor).toBe(e.constructor);
      expect(back.message).toBe(e.message);
      expect(back.name).toBe(e.name);
    }
    const wrong = reviveError(structuredClone(errorRecord(samples.find((e) => e instanceof errors.WrongModelError)!)));
    expect(wrong).toBeInstanceOf(errors.WrongModelError);
    expect((wrong as errors.WrongModelError).needed).toBe('llmz-mystery');
    expect((wrong as errors.WrongModelError).loaded).toBe('llmz-base');
    const version = reviveError(structuredClone(errorRecord(new errors.UnsupportedVersionError(9, 1)))) as errors.UnsupportedVersionError;
    expect([version.version, version.supported]).toEqual([9, 1]);
  });

  it('a foreign error stays a plain Error with its message', () => {
    const back = reviveError(structuredClone(errorRecord(new TypeError('boom'))));
    expect(back).not.toBeInstanceOf(errors.LlmzError);
    expect(back.message).toBe('boom');
    expect(back.name).toBe('TypeError');
  });

  it('through comlink over a real message port: class and fields arrive', async () => {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(
      guardErrors({
        async fail(): Promise<void> {
          throw new errors.WrongModelError('#0011223344556677', 'llmz-base', 'weights 00112233');
        },
      }),
      nodeEndpoint(port1),
    );
    const remote = Comlink.wrap<{ fail(): Promise<void> }>(nodeEndpoint(port2));
    const caught = await remote.fail().then(() => new Error("did not fail"), (e: unknown) => reviveError(e));
    expect(caught).toBeInstanceOf(errors.WrongModelError);
    expect((caught as errors.WrongModelError).needed).toBe('#0011223344556677');
    expect(caught.message).toContain('a model this copy of llmz does not have');
    port1.close();
    port2.close();
  });
});
