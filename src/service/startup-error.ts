/** A reason the service refuses to start, said to the user as is (no stack trace). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}
