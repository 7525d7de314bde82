// A change signal from Postgres: a trigger on the table calls pg_notify(channel, its schema)
// once per statement, which the server delivers at commit to every connection LISTENing on
// the channel (a schema's notices only count for the instance whose tables are there). One
// connection of its own, beside the pool, opened at the first arm (which it does not hold
// up: the signal says it cannot tell until the connection is open); it LISTENs only while
// armed and UNLISTENs once told, so a busy log does not wake the process at every write. A
// pooler in transaction mode (PgBouncer's) passes LISTEN on and loses the notices: a probe
// sent at connect must come back, or the signal says it cannot tell (and asks again later).
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { ChangeSignal } from './change-signal.js'

// How long the probe may take to come back, and how long after a failed connect or a lost
// probe the signal says it cannot tell before it tries again.
const PROBE_MS = 2000
const RETRY_MS = 60_000
// How long a LISTEN may take on an open connection.
const LISTEN_TIMEOUT_MS = 1000

export function pgNotices(driver: typeof pg, config: pg.ClientConfig, channel: string): ChangeSignal {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error('invalid notice channel')
  let client: pg.Client | undefined
  let listening: (() => void) | undefined
  let unusableUntil = 0
  let closed = false

  const stopListening = (c: pg.Client | undefined): void => {
    listening = undefined
    c?.query(`UNLISTEN ${channel}`).catch(() => {})
  }
  // A notice, or the connection's loss (which may have swallowed one): told once.
  const tell = (): void => {
    const onChange = listening
    if (onChange === undefined) return
    stopListening(client)
    onChange()
  }
  const lost = (c: pg.Client): void => {
    if (client !== c) return
    client = undefined
    c.end().catch(() => {})
    tell()
  }

  async function connect(): Promise<pg.Client | undefined> {
    const c = new driver.Client(config)
    let schema: string | undefined
    const probe = `keyturn probe ${randomUUID()}`
    let probed: () => void = () => {}
    const heard = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), PROBE_MS)
      probed = () => {
        clearTimeout(timer)
        resolve(true)
      }
    })
    c.on('notification', (notice) => {
      if (notice.payload === probe) probed()
      else if (notice.payload === schema && client === c) tell()
    })
    c.on('error', () => lost(c))
    c.on('end', () => lost(c))
    try {
      await c.connect()
      const { rows } = await c.query<{ schema: string }>('select current_schema() as schema')
      schema = rows[0]?.schema
      await c.query(`LISTEN ${channel}`)
      await c.query('select pg_notify($1, $2)', [channel, probe])
      if (schema === undefined || !(await heard)) throw new Error('the notice probe did not come back')
      await c.query(`UNLISTEN ${channel}`)
      return c
    } catch {
      probed()
      unusableUntil = Date.now() + RETRY_MS
      c.end().catch(() => {})
      return undefined
    }
  }

  // Connects in the background: an arm never waits for a connection (nor for the probe),
  // so the reads it comes between are never late; it says it cannot tell until one is open.
  let connecting: Promise<void> | undefined
  const startConnecting = (): void => {
    if (connecting !== undefined || Date.now() < unusableUntil) return
    connecting = connect().then(async (opened) => {
      if (opened !== undefined && closed) await opened.end().catch(() => {})
      else client = opened
      connecting = undefined
    })
  }

  return {
    async arm(onChange) {
      if (closed) return false
      const c = client
      if (c === undefined) {
        startConnecting()
        return false
      }
      listening = onChange
      try {
        // A connection that no longer answers (the network between gone quiet) is lost:
        // the reads must not wait on it.
        await withTimeout(c.query(`LISTEN ${channel}`), LISTEN_TIMEOUT_MS)
      } catch {
        if (listening === onChange) listening = undefined
        lost(c)
        return false
      }
      return listening === onChange && client === c
    },
    disarm() {
      if (listening !== undefined) stopListening(client)
    },
    async close() {
      closed = true
      listening = undefined
      await connecting
      const c = client
      client = undefined
      await c?.end().catch(() => {})
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}
