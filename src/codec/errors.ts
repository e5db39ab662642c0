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
      `This archive uses format version ${version}; this llmz reads version ${supported}. ` +
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
  /** `needed`: the model's name, or "#fingerprint" for compact archives, which name none. */
  constructor(readonly needed: string, readonly loaded: string, detail: string) {
    super(
      needed.startsWith('#')
        ? // the app and CLI already looked for a shipped model with this fingerprint: most likely an earlier version of one
          `This archive was made with a model this copy of llmz does not have (${detail}), probably an earlier version of a built-in model. Open it with the llmz version that made it, or load that model file.`
        : `This archive was made with model "${needed}" (${detail}); the loaded model is "${loaded}". Load "${needed}" to open it.`,
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
