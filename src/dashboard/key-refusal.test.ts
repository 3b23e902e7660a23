/**
 * The dashboard's reading of a 401 to an account key, case by case. The case that was missing: the
 * admin signed out (the session gone) with its own reason, then a refused request of that session
 * answered late replaced the reason with "the server no longer accepts this account's key" (seen
 * in test/e2e/dashboard-admin-deleted-account.test.ts on a loaded machine); and a late refusal of an
 * account the admin has left reported the account now on screen gone.
 */
import { expect, it } from 'vitest';
import { keyRefusal } from './key-refusal.js';

const admin = { accountKey: 'pt_shown', admin: { first: 'page' } };
const own = { accountKey: 'pt_own' };

it('a refusal answered after the sign-out changes nothing', () => {
  expect(keyRefusal(undefined, 'pt_shown', 'pt_shown')).toBe('stale');
  expect(keyRefusal(undefined, 'pt_own', undefined)).toBe('stale');
});

it('a refusal of a key the session no longer uses changes nothing', () => {
  expect(keyRefusal(admin, 'pt_left_before', undefined)).toBe('stale');
  expect(keyRefusal(own, 'pt_an_older_key', undefined)).toBe('stale');
  expect(keyRefusal(admin, undefined, undefined)).toBe('stale');
});

it("the admin's account on screen refused: reported gone once, the admin stays", () => {
  expect(keyRefusal(admin, 'pt_shown', undefined)).toBe('account-gone');
  expect(keyRefusal(admin, 'pt_shown', 'pt_other')).toBe('account-gone');
  expect(keyRefusal(admin, 'pt_shown', 'pt_shown')).toBe('repeat');
});

it("an account's own key refused: back to the sign-in", () => {
  expect(keyRefusal(own, 'pt_own', undefined)).toBe('sign-out');
  expect(keyRefusal(own, 'pt_own', 'pt_own')).toBe('sign-out');
});
