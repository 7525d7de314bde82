// A browser's part in console tests over app.inject: a cookie jar, the CSRF token of the
// last page, and forms posted the way a browser posts them.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { createUser } from '../../helper.js'

export class ConsoleClient {
  readonly cookies = new Map<string, string>()
  csrf = ''

  constructor(private readonly app: FastifyInstance) {}

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of res.cookies) {
      if (cookie.value === '' || (cookie.expires && cookie.expires.getTime() < Date.now())) this.cookies.delete(cookie.name)
      else this.cookies.set(cookie.name, cookie.value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1]
    if (token) this.csrf = token
    return res
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {}
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.remember(await this.app.inject({ method: 'GET', url, headers: this.cookieHeader() }))
  }

  // `_csrf` is the last page's token unless the form says otherwise (or omits it: null).
  async post(url: string, form: Record<string, string | null> = {}): Promise<LightMyRequestResponse> {
    const fields = Object.entries({ _csrf: this.csrf, ...form }).filter((entry): entry is [string, string] => entry[1] !== null)
    return this.remember(
      await this.app.inject({
        method: 'POST',
        url,
        headers: { ...this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      }),
    )
  }

  async signIn(username: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/admin/login')
    return this.post('/admin/login', { username, password })
  }
}

// The ids of the rows a listing page shows.
export function rowIds(html: string, attribute: 'data-session-id' | 'data-user-id'): number[] {
  return [...html.matchAll(new RegExp(`${attribute}="(\\d+)"`, 'g'))].map((m) => Number(m[1]))
}

// Clients A and B; a superuser (root), staff of A (staff_a), alice_a of A and bob_b of B.
export async function twoTenants(app: FastifyInstance): Promise<void> {
  await app.accounts.addClient('Client A')
  await app.accounts.addClient('Client B')
  await createUser(app, { username: 'root', isSuperuser: true, isStaff: true })
  await createUser(app, { username: 'staff_a', clientName: 'Client A', isStaff: true })
  await createUser(app, { username: 'alice_a', clientName: 'Client A' })
  await createUser(app, { username: 'bob_b', clientName: 'Client B' })
}
