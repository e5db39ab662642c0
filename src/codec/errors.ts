/**
 * Every failure the user can meet is one of these classes. Each sets its
 * `name` as a literal, because a minifier renames classes (differently in the
 * page and the worker bundles); that name and the error's own fields cross the
 * worker boundary (src/platform/shared/errorTransfer.ts), and the message says
 * what to do, not only what went wrong.
 */
export class LlmzError extends Error {
  override name = 'LlmzError';
}

/** The bytes are not an llmz archive at all (wrong magic). */
export class NotAnArchiveError extends LlmzError {
  override name = 'NotAnArchiveError';
}

/** An archive from a newer llmz: update the app to open it. */
export class UnsupportedVersionError extends LlmzError {
  override name = 'UnsupportedVersionError';
  constructor(readonly version: number, readonly supported: number) {
    super(
      `This archive uses format version ${version}; this llmz reads versions up to ${supported}. ` +
        `Open it with a newer llmz.`,
    );
  }
}

/** The archive ends before its header or payload says it should. */
export class TruncatedArchiveError extends LlmzError {
  override name = 'TruncatedArchiveError';
}

/** Checksums or structure do not add up: the archive was damaged. */
export class CorruptArchiveError extends LlmzError {
  override name = 'CorruptArchiveError';
}

/** The archive needs a model other than the one loaded. */
export class WrongModelError extends LlmzError {
  override name = 'WrongModelError';
  /**
   * `needed`: the model's name, or "#fingerprint" for compact archives, which
   * name none; `advice` replaces the closing sentence when the caller knows
   * better (e.g. the model is in the registry, only another one was forced).
   */
  constructor(readonly needed: string, readonly loaded: string, detail: string, advice?: string) {
    super(
      needed.startsWith('#')
        ? // the app and CLI already looked for a listed model with this fingerprint: it is none of them
          `This archive was made with a model this copy of llmz does not have (${detail}). ${advice ?? 'Open it with the llmz version that made it, or load that model file.'}`
        : needed === loaded
          ? // a forced model of the right name but another release: the registry holds the one it needs, found by fingerprint
            `This archive was made with another version of model "${needed}" (${detail}) than the one loaded. ${advice ?? 'Open it without choosing a model: llmz finds the version it needs by its fingerprint.'}`
          : `This archive was made with model "${needed}" (${detail}); the loaded model is "${loaded}". ${advice ?? `Load "${needed}" to open it.`}`,
    );
  }
}

/** A share link whose fragment is missing or mangled. */
export class DamagedLinkError extends LlmzError {
  override name = 'DamagedLinkError';
}

/** The archive is valid but too big for a share link. */
export class TooLargeForLinkError extends LlmzError {
  override name = 'TooLargeForLinkError';
}

/** The user (or a timeout) cancelled the operation. */
export class CancelledError extends LlmzError {
  override name = 'CancelledError';
  constructor(message = 'Cancelled.') {
    super(message);
  }
}

/** A model file that cannot be read or does not match its description. */
export class ModelLoadError extends LlmzError {
  override name = 'ModelLoadError';
}

/**
 * A model file whose bytes are not the ones the model list names (damaged on
 * disk or in the browser's cache): never used, since it would make archives
 * no other copy of llmz can open.
 */
export class ModelIntegrityError extends LlmzError {
  override name = 'ModelIntegrityError';
  constructor(
    readonly model: string,
    readonly expected: string,
    readonly actual: string,
    recovery: string,
  ) {
    super(`The file of model "${model}" is damaged (its SHA-256 is ${actual.slice(0, 16)}…, the model list says ${expected.slice(0, 16)}…), so it is not used. ${recovery}`);
  }
}

/** Invalid arguments from a caller (CLI flags, API options). */
export class UsageError extends LlmzError {
  override name = 'UsageError';
}

/**
 * A hub-model (float) archive did not reproduce here: such archives decode
 * only on the same kind of device and backend that made them.
 */
export class DeviceMismatchError extends LlmzError {
  override name = 'DeviceMismatchError';
}
