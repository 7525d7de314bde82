// Word from the store that a table may have changed, so that an idle instance need not ask it
// again and again: every wakeup of a process costs it, and an instance reading the
// revocation log twice a second spent most of its idle CPU doing so. A signal is a hint, never
// the record: what changed is still read from the table (in commit order, from the reader's
// own mark), so a signal lost costs time, never a change. Which is why its loss is told as a
// change: the reader goes back to reading on its own clock.
export interface ChangeSignal {
  // Starts listening. Resolves true once any change committed from then on will be told
  // (`onChange`, once, after which the signal is off again), false when this store cannot
  // tell now (the reader then goes on reading on its own clock).
  arm(onChange: () => void): Promise<boolean>
  // Stops listening (a change already on its way is not told).
  disarm(): void
  close(): Promise<void>
}
