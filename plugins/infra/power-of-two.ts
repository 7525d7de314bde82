// Ring and table capacities are powers of two, so that a place is found with a mask.

// The capacity `slots` doubled until it holds `needed`.
export function doubledUntil(slots: number, needed: number): number {
  while (needed > slots) slots *= 2
  return slots
}
