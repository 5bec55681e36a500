/**
 * Typed errors with a cause. One HTTP error handler and one CLI handler map them to
 * application/problem+json and exit codes; SQL text and internals go to the log, never to a client.
 */

/** A problem with input the user gave: a file, a mapping, a parameter. Exit code 65 (EX_DATAERR). */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    message: string,
    /** Line-by-line details: `file:line:column: message`. */
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Invalid configuration (environment, flags, config file). Exit code 78 (EX_CONFIG). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The database could not be opened or used as asked (e.g. held by another writer). Exit code 75. */
export class StoreError extends Error {
  override readonly name = "StoreError";
}

/** Something asked for does not exist (area, indicator). HTTP 404. */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** Not logged in (or the session ended) where a login is needed. HTTP 401. */
export class UnauthenticatedError extends Error {
  override readonly name = "UnauthenticatedError";
}

/** The access policy refuses. HTTP 403. */
export class AccessDeniedError extends Error {
  override readonly name = "AccessDeniedError";
}

export const EXIT = {
  ok: 0,
  usage: 64,
  dataErr: 65,
  noInput: 66,
  software: 70,
  tempFail: 75,
  noPerm: 77,
  config: 78,
} as const;
