/**
 * `extend(base, extra)`: a new object with `base`'s own enumerable properties, then `extra`'s, as
 * the literal `{ ...base, ...extra }` makes it (same keys, same order, `extra` winning; a null or
 * undefined side adds nothing).
 *
 * Why not the literal: an object that starts as a spread and then gains a key its source lacks
 * (`{ ...base, key }`, `{ ...a, ...b }`) is built by V8 (Node 20, V8 11.3) on a slow path once the
 * code is optimized — each such object gets a map of its own, about 4 µs to make against 0.2 µs
 * here, and every function that later reads objects made there sees a new shape each time and stops
 * specializing (docs/adr/0062). `Object.assign` onto a fresh literal adds the keys along the
 * ordinary map transitions. src/objects-spread.test.ts refuses the literal form in the product's
 * sources.
 */
export function extend<A extends object | null | undefined, B extends object | null | undefined>(base: A, extra: B): Extended<NonNullable<A>, NonNullable<B>> {
  return Object.assign({}, base, extra) as Extended<NonNullable<A>, NonNullable<B>>;
}

/** The type of `{ ...A, ...B }`: B's properties, and A's that B does not name; distributed over unions. */
export type Extended<A, B> = A extends unknown ? (B extends unknown ? Omit<A, keyof B> & B : never) : never;
