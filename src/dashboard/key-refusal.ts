/**
 * What a 401 to an account key means for the dashboard's session, decided apart from the component
 * so that its cases can be tested alone.
 *
 * - `stale`: the key refused is not the session's account key: the session was signed out since (with
 *   its own reason on the sign-in) or the admin picked another account, and this is a request of
 *   before, answered late. Nothing changes: a late answer must not replace the reason shown, nor
 *   report the account on screen gone.
 * - `repeat`: the admin's account on screen, already reported gone (one notice for the requests of
 *   one view refused together).
 * - `account-gone`: signed in with the admin key, the account on screen is gone; the admin stays.
 * - `sign-out`: signed in with this account's own key: back to the sign-in.
 */
export type KeyRefusal = 'stale' | 'repeat' | 'account-gone' | 'sign-out';

export function keyRefusal(session: { readonly accountKey: string; readonly admin?: unknown } | undefined, refusedKey: string | undefined, lastReported: string | undefined): KeyRefusal {
  if (session === undefined || refusedKey !== session.accountKey) return 'stale';
  if (session.admin === undefined) return 'sign-out';
  return lastReported === session.accountKey ? 'repeat' : 'account-gone';
}
