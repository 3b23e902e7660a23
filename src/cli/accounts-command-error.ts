/** A refusal or bad input of `papertrade accounts`, said to the user as is; `exitCode` 2 for usage, 1 for the rest. */
export class AccountsCommandError extends Error {
  override readonly name = 'AccountsCommandError';
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}
