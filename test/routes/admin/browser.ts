// Headless Chromium for console tests: Debian's chromium (KEYTURN_TEST_CHROMIUM names
// another), driven by playwright-core. With the variable set, a missing browser fails the
// tests (CI sets it); without it and without /usr/bin/chromium, they are skipped.
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

const DEFAULT = '/usr/bin/chromium'

export function chromiumPath(): string | undefined {
  const named = process.env.KEYTURN_TEST_CHROMIUM
  if (named) return named
  return existsSync(DEFAULT) ? DEFAULT : undefined
}

export async function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Root in a container has no sandbox to give; the machine's network is closed, so
    // nothing may reach for Google's services.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })
}
