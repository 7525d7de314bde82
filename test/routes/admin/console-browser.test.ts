// The admin console in a real headless Chromium against a real Keyturn server, on both
// stores: what a person does (sign in, filter, search, revoke, read the audit trail), what
// staff of another client and non-staff users cannot do, what hostile input and a cross-site
// form cannot do, and screenshots of the main pages at desktop and phone widths
// (test-results/screenshots/, for people to look at).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { bearer, build, PASSWORD, stores } from '../../helper.js'
import { exclusive } from '../../exclusive.js'
import { chromiumPath, launch } from './browser.js'
import { twoTenants } from './console-client.js'

const XSS_DEVICE = '<img src=x onerror=alert(1)>'
const SHOTS = join(process.cwd(), 'test-results', 'screenshots')
const WIDTHS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } }

const executable = chromiumPath()
if (!executable) {
  t.test('the console in Chromium', { skip: 'no Chromium here (install Debian chromium, or set KEYTURN_TEST_CHROMIUM)' }, async () => {})
} else {
  let browser: Browser
  t.before(async () => {
    // Not beside the other heavy test (20 threads with timing margins): one at a time.
    await exclusive(t)
    browser = await launch(executable)
  })
  t.teardown(() => browser?.close())

  for (const store of stores()) {
    t.test(`the console in Chromium (${store})`, async (t) => {
      const app = await build(t, { store })
      await app.listen({ host: '127.0.0.1', port: 0 })
      const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
      const seeded = await seed(app)

      // One browser profile per person; every page's dialogs (alert()) are recorded.
      const dialogs: string[] = []
      async function person(): Promise<{ context: BrowserContext; page: Page }> {
        const context = await browser.newContext({ baseURL: base, viewport: WIDTHS.desktop })
        t.teardown(() => context.close())
        const page = await context.newPage()
        page.on('dialog', async (dialog) => {
          dialogs.push(dialog.message())
          await dialog.dismiss()
        })
        return { context, page }
      }
      async function signIn(page: Page, username: string) {
        await page.goto('/admin/login')
        await page.getByLabel('Username or email').fill(username)
        await page.getByLabel('Password').fill(PASSWORD)
        await page.getByRole('button', { name: 'Sign in' }).click()
        await page.waitForLoadState()
      }
      const sessionRows = (page: Page) => page.locator('tr[data-session-id]')
      const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name })
      const shownSessionIds = async (page: Page) => (await sessionRows(page).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-session-id')))))

      const { page: root } = await person()
      await signIn(root, 'root')

      t.test('a superuser signs in, filters by client type, searches by device and by IP', async (t) => {
        t.equal(new URL(root.url()).pathname, '/admin/')
        t.ok(await root.getByText('active sessions').isVisible())
        await nav(root, 'Sessions').click()
        await root.getByLabel('Client type').fill('mobile')
        await root.getByRole('button', { name: 'Filter' }).click()
        const types = await root.locator('tr[data-session-id] td[data-label="Type"]').allTextContents()
        t.ok(types.length >= 2, 'mobile sessions listed')
        t.ok(types.every((type) => type.trim() === 'mobile'), 'only mobile sessions')
        await root.getByRole('link', { name: 'Clear filters' }).click()

        await root.getByLabel('Search').fill('Alice phone')
        await root.getByRole('button', { name: 'Filter' }).click()
        t.same(await shownSessionIds(root), [seeded.alicePhone.session_id], 'found by device name')
        await root.getByLabel('Search').fill('203.0.113.9')
        await root.getByRole('button', { name: 'Filter' }).click()
        t.same(await shownSessionIds(root), [seeded.bobLaptop.session_id], 'found by IP address')
        await root.getByLabel('Search').fill('nothing matches this')
        await root.getByRole('button', { name: 'Filter' }).click()
        t.ok(await root.getByText('No session matches these filters.').isVisible(), 'an empty state that says what to do')
      })

      t.test('they revoke one session: the API refuses its token within a second, the audit page shows it', async (t) => {
        await root.goto(`/admin/sessions?q=${encodeURIComponent('Alice phone')}`)
        const row = root.locator(`tr[data-session-id="${seeded.alicePhone.session_id}"]`)
        await row.getByRole('button', { name: 'Revoke' }).click()
        await root.waitForLoadState()
        t.ok(await root.getByRole('status').getByText('Session revoked').isVisible())
        const deadline = Date.now() + 1000
        let status = 0
        do {
          status = (await fetch(`${base}/api/user/`, { headers: bearer(seeded.alicePhone.access) })).status
        } while (status !== 401 && Date.now() < deadline)
        t.equal(status, 401, "the revoked session's access token is refused")
        await nav(root, 'Audit').click()
        const revoked = root.locator('tr[data-audit-id]', { hasText: 'session_revoked' })
        t.ok((await revoked.count()) >= 1)
        t.match(await revoked.first().textContent(), /revoked_by_admin/)
        t.equal(await revoked.first().locator(`a[href="/admin/sessions/${seeded.alicePhone.session_id}"]`).count(), 1)
      })

      t.test('a staff user of client A sees no user or session of client B', async (t) => {
        const { page } = await person()
        await signIn(page, 'staff_a')
        await page.goto('/admin/sessions')
        const ids = await shownSessionIds(page)
        t.ok(ids.length > 0)
        t.notOk(ids.includes(seeded.bobLaptop.session_id))
        t.notOk((await page.content()).includes('bob_b'))
        await page.goto('/admin/users')
        const users = await page.locator('tr[data-user-id] td[data-label="Username"]').allTextContents()
        t.ok(users.length > 0)
        t.ok(users.every((name) => name.trim().endsWith('_a')), `only client A's users: ${users.join(', ')}`)
        const other = await page.goto(`/admin/sessions/${seeded.bobLaptop.session_id}`)
        t.equal(other?.status(), 404)
      })

      t.test('a non-staff user cannot sign in', async (t) => {
        const { context, page } = await person()
        await signIn(page, 'alice_a')
        t.ok(await page.getByText('You do not have permission to perform this action.').isVisible())
        t.equal(new URL(page.url()).pathname, '/admin/login')
        t.notOk((await context.cookies()).some((c) => c.name === 'keyturn_console'))
      })

      t.test('a device named with HTML shows as text and runs nothing', async (t) => {
        await root.goto(`/admin/sessions?q=${encodeURIComponent('onerror')}`)
        const cell = root.locator(`tr[data-session-id="${seeded.xss.session_id}"] td[data-label="Device"] a`)
        t.equal((await cell.textContent())?.trim(), XSS_DEVICE, 'the name, as text')
        await root.goto(`/admin/sessions/${seeded.xss.session_id}`)
        t.equal(await root.locator('img').count(), 0, 'no image element on the page')
        t.same(dialogs, [], 'no script ran')
      })

      t.test('a POST without the CSRF token changes nothing, even from a page of the same site', async (t) => {
        const attacker = await attackerPage(`${base}/admin/sessions/${seeded.bobLaptop.session_id}/revoke`)
        t.teardown(() => new Promise((resolve) => attacker.server.close(resolve)))
        const response = root.waitForResponse((r) => r.url().includes('/revoke'))
        await root.goto(attacker.url)
        await root.getByRole('button', { name: 'Claim your prize' }).click()
        t.equal((await response).status(), 403)
        t.ok(await root.getByText('CSRF token missing or incorrect').isVisible())
        t.equal((await fetch(`${base}/api/user/`, { headers: bearer(seeded.bobLaptop.access) })).status, 200, "bob's session lives")
      })

      t.test('the console cannot be framed by another page', async (t) => {
        const framer = await servePage(`<!doctype html><title>Framed</title><iframe src="${base}/admin/login" width="600" height="400"></iframe>`)
        t.teardown(() => new Promise((resolve) => framer.server.close(resolve)))
        const { page } = await person()
        await page.goto(framer.url)
        await page.waitForTimeout(300)
        const frame = page.frames().find((f) => f !== page.mainFrame())
        t.ok(frame, 'the iframe exists')
        const loaded = await frame?.locator('#username').count().catch(() => 0)
        t.equal(loaded, 0, 'but the sign-in form did not render inside it')
      })

      t.test('screenshots of the dashboard, sessions, users and audit pages at 1280 and 390 px', async (t) => {
        mkdirSync(SHOTS, { recursive: true })
        for (const [name, size] of Object.entries(WIDTHS)) {
          await root.setViewportSize(size)
          for (const [pageName, url] of [['dashboard', '/admin/'], ['sessions', '/admin/sessions'], ['users', '/admin/users'], ['audit', '/admin/audit']]) {
            await root.goto(url as string)
            const file = join(SHOTS, `${store}-${pageName}-${size.width}.png`)
            await root.screenshot({ path: file, fullPage: true })
            // At phone width nothing may be wider than the screen: the tables become cards.
            const overflow = Number(await root.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'))
            t.ok(overflow <= 0, `${pageName} at ${name} width fits (${overflow}px over)`)
          }
        }
        await root.setViewportSize(WIDTHS.desktop)
      })

      t.test("revoking the console's own session from the API signs the console out at its next request", async (t) => {
        const { page } = await person()
        await signIn(page, 'root')
        await page.goto('/admin/sessions?client_type=admin_console')
        const mine = Number(await page.locator('tr.current').getAttribute('data-session-id'))
        t.ok(mine > 0, 'the current session is marked')
        const token = await (await fetch(`${base}/api/token/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'root', password: PASSWORD }) })).json()
        const res = await fetch(`${base}/api/v1/admin/sessions/${mine}/revoke/`, { method: 'POST', headers: bearer((token as { access: string }).access) })
        t.equal(res.status, 200)
        await nav(page, 'Users').click()
        await page.waitForLoadState()
        t.equal(new URL(page.url()).pathname, '/admin/login', 'back at the sign-in')
      })
    })
  }
}

// Clients A and B, their users, sessions from distinct addresses, and a hostile device name.
async function seed(app: FastifyInstance) {
  await twoTenants(app)
  const loginFrom = async (ip: string, body: Record<string, string>) => {
    const res = await app.inject({ method: 'POST', url: '/api/token/', remoteAddress: ip, payload: { password: PASSWORD, ...body } })
    if (res.statusCode !== 200) throw new Error(`login failed: ${res.body}`)
    return res.json<{ access: string; session_id: number }>()
  }
  return {
    alicePhone: await loginFrom('198.51.100.4', { username: 'alice_a', client_type: 'mobile', device_name: 'Alice phone' }),
    aliceTablet: await loginFrom('198.51.100.5', { username: 'alice_a', client_type: 'mobile', device_name: 'Alice tablet' }),
    bobLaptop: await loginFrom('203.0.113.9', { username: 'bob_b', client_type: 'web', device_name: 'Bob laptop' }),
    xss: await loginFrom('198.51.100.6', { username: 'alice_a', client_type: 'web', device_name: XSS_DEVICE }),
  }
}

// A page on another origin of the same site (another port), whose form posts to the console
// without a CSRF token: the browser sends the console's SameSite cookie with it.
async function attackerPage(action: string): Promise<{ server: Server; url: string }> {
  return servePage(`<!doctype html><title>Win</title><form method="post" action="${action}"><input type="hidden" name="next" value="/admin/"><button>Claim your prize</button></form>`)
}

async function servePage(html: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}
