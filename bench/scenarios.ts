// What each scenario sends. Tokens come from real logins against the running Keyturn.
// Refresh follows rotation chains: every answer's new refresh token goes back into a queue
// and is presented exactly once by the next free connection (autocannon clears its
// per-connection context between requests, so chains live in the queue, not in the
// connection). No token is ever replayed unless a chain breaks, which shows as a non-2xx.
import type autocannon from 'autocannon'

export interface ScenarioContext {
  url: string
  users: number
  password: string
  connections: number
  // A service account made for the run (keyturn createservice): its HTTP Basic header.
  serviceAuthorization: string
}

export interface Prepared {
  // Called before every run: scenarios that consume tokens get fresh ones.
  requests(): Promise<autocannon.Request[]>
  baselineRequests(): autocannon.Request[]
}

export interface Scenario {
  name: string
  description: string
  ceiling: 'B' | 'argon2'
  // Password hashes: logins queued in Keyturn when a slice ends go on hashing into the next
  // ceiling slice (B fell from 10 000 to 5 700 req/s behind mixed), so such a scenario is
  // timed in whole runs (run.ts, timedRun).
  hashes?: true
  prepare(ctx: ScenarioContext): Promise<Prepared>
}

interface Pair {
  access: string
  refresh: string
}

// A fresh object each time: autocannon writes Content-Length into the headers it is given.
export const jsonHeaders = (): Record<string, string> => ({ 'content-type': 'application/json' })

async function loginMany(ctx: ScenarioContext, count: number): Promise<Pair[]> {
  const pairs: Pair[] = []
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const res = await fetch(`${ctx.url}/api/token/`, {
        method: 'POST',
        headers: jsonHeaders(),
        body: JSON.stringify({ username: `load${(i % ctx.users) + 1}`, password: ctx.password, device_name: 'bench' }),
      })
      if (res.status !== 200) throw new Error(`bench login failed: ${res.status}`)
      pairs.push((await res.json()) as Pair)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return pairs
}

// The baseline's request: the verify body shape, with the same token strings.
function verifyRequests(tokens: string[]): autocannon.Request[] {
  return eachToken(tokens, { method: 'POST', path: '/api/token/verify/', headers: jsonHeaders() }, (req, token) => ({ ...req, body: JSON.stringify({ token }) }))
}

// One request shape over a pool of tokens, the next token each time.
function eachToken(
  tokens: string[],
  request: autocannon.Request,
  withToken: (req: autocannon.Request, token: string) => autocannon.Request,
): autocannon.Request[] {
  let i = 0
  return [{ ...request, setupRequest: (req) => withToken(req, tokens[i++ % tokens.length] as string) }]
}

// Refresh tokens ready to be presented, and the newest access tokens.
class Chains {
  private readonly refresh: string[]
  private readonly access: string[]
  private next = 0

  constructor(pairs: Pair[]) {
    this.refresh = pairs.map((p) => p.refresh)
    this.access = pairs.map((p) => p.access)
  }

  takeRefresh(): string {
    return this.refresh.pop() ?? 'chain-broken'
  }

  anyAccess(): string {
    return this.access[this.next++ % this.access.length] ?? 'none'
  }

  // onResponse: a new pair (login) or a new refresh token (rotation) continues a chain.
  readonly onResponse = (status: number, body: string): void => {
    if (status !== 200) return
    const answer = JSON.parse(body) as Partial<Pair>
    if (answer.refresh) this.refresh.push(answer.refresh)
    if (answer.access) this.access[this.next++ % this.access.length] = answer.access
  }
}

// Scenarios that consume refresh tokens: fresh chains (one login per connection) before
// every run, and the verify request against B.
async function withFreshChains(ctx: ScenarioContext, build: (chains: Chains) => autocannon.Request): Promise<Prepared> {
  const tokens = (await loginMany(ctx, 200)).map((p) => p.access)
  return {
    baselineRequests: () => verifyRequests(tokens),
    requests: async () => {
      const chains = new Chains(await loginMany(ctx, ctx.connections))
      return [{ ...build(chains), onResponse: chains.onResponse }]
    },
  }
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'verify',
    description: 'POST /api/token/verify/ over a pool of distinct access tokens',
    ceiling: 'B',
    async prepare(ctx) {
      const tokens = (await loginMany(ctx, 500)).map((p) => p.access)
      return { requests: async () => verifyRequests(tokens), baselineRequests: () => verifyRequests(tokens) }
    },
  },
  {
    name: 'me',
    description: 'GET /api/user/ with Bearer, distinct tokens',
    ceiling: 'B',
    async prepare(ctx) {
      const tokens = (await loginMany(ctx, 500)).map((p) => p.access)
      return {
        baselineRequests: () => verifyRequests(tokens),
        requests: async () => eachToken(tokens, { method: 'GET', path: '/api/user/' }, (req, token) => ({ ...req, headers: { authorization: `Bearer ${token}` } })),
      }
    },
  },
  {
    name: 'refresh',
    description: 'POST /api/token/refresh/ following rotation chains: each answer\'s refresh token is presented once, next',
    ceiling: 'B',
    prepare: (ctx) =>
      withFreshChains(ctx, (chains) => ({
        method: 'POST',
        path: '/api/token/refresh/',
        headers: jsonHeaders(),
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ refresh: chains.takeRefresh() }) }),
      })),
  },
  {
    name: 'login',
    hashes: true,
    description: 'POST /api/token/ with real credentials (argon2id m=19456 KiB, t=2, p=1)',
    ceiling: 'argon2',
    async prepare(ctx) {
      const requests = (): autocannon.Request[] => {
        let i = 0
        return [
          {
            method: 'POST',
            path: '/api/token/',
            headers: jsonHeaders(),
            setupRequest: (req) => ({
              ...req,
              body: JSON.stringify({ username: `load${(i++ % ctx.users) + 1}`, password: ctx.password }),
            }),
          },
        ]
      }
      return { requests: async () => requests(), baselineRequests: requests }
    },
  },
  {
    name: 'mixed',
    hashes: true,
    description: 'of every 20 requests: 16 GET /api/user/, 3 refreshes (rotation chains), 1 login',
    ceiling: 'B',
    prepare: (ctx) => {
      let user = 0
      let n = 0
      return withFreshChains(ctx, (chains) => ({
        method: 'GET',
        path: '/api/user/',
        setupRequest: (req) => {
          const k = n++ % 20
          if (k === 0) {
            const body = JSON.stringify({ username: `load${(user++ % ctx.users) + 1}`, password: ctx.password })
            return { ...req, method: 'POST', path: '/api/token/', headers: jsonHeaders(), body }
          }
          if (k <= 3) {
            const body = JSON.stringify({ refresh: chains.takeRefresh() })
            return { ...req, method: 'POST', path: '/api/token/refresh/', headers: jsonHeaders(), body }
          }
          return { ...req, method: 'GET', path: '/api/user/', headers: { authorization: `Bearer ${chains.anyAccess()}` }, body: undefined }
        },
      }))
    },
  },
  {
    name: 'client_credentials',
    description: 'POST /api/v1/oauth/token/, a service account with HTTP Basic (a token and an audit row each)',
    ceiling: 'B',
    async prepare(ctx) {
      const tokens = (await loginMany(ctx, 200)).map((p) => p.access)
      const request = (): autocannon.Request => ({
        method: 'POST',
        path: '/api/v1/oauth/token/',
        headers: { ...jsonHeaders(), authorization: ctx.serviceAuthorization },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      })
      return { baselineRequests: () => verifyRequests(tokens), requests: async () => [request()] }
    },
  },
  {
    name: 'introspect',
    description: "POST /api/v1/oauth/introspect/ of users' access tokens, a service account with HTTP Basic",
    ceiling: 'B',
    async prepare(ctx) {
      const tokens = (await loginMany(ctx, 500)).map((p) => p.access)
      return {
        baselineRequests: () => verifyRequests(tokens),
        requests: async () =>
          eachToken(
            tokens,
            { method: 'POST', path: '/api/v1/oauth/introspect/', headers: { ...jsonHeaders(), authorization: ctx.serviceAuthorization } },
            (req, token) => ({ ...req, body: JSON.stringify({ token }) }),
          ),
      }
    },
  },
]
