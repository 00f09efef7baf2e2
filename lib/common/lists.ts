/** Small list helpers the configuration merges share. */

/**
 * `first` then `second`, without copying when either is empty (merges run per directory and per
 * request; most lists are empty).
 */
export function joined<T>(
  first: readonly T[] | undefined,
  second: readonly T[] | undefined,
): readonly T[] | undefined {
  if (!first?.length) return second;
  if (!second?.length) return first;
  return [...first, ...second];
}
