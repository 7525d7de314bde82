// Command-line options for the bench scripts: a mistyped flag or a missing value is answered
// by the usage (exit 2), never by a stack trace.
export function orUsage<T>(parse: () => T, usage: string): T {
  try {
    return parse()
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`)
    process.exit(2)
  }
}
