// @ts-check
// One browser tab of a SimpleJWT client built on axios-jwt, in a worker thread: its own copy
// of axios-jwt (a tab's module state), and storage shared with the other tabs through the
// main thread, as localStorage is shared between the tabs of a browser. It calls GET
// /api/user/ in a loop; axios-jwt refreshes the access token when it is about to expire, and
// the tabs meet the same expiry at once.
import axios from 'axios'
import { applyAuthTokenInterceptor } from 'axios-jwt'
import { parentPort, workerData } from 'node:worker_threads'

const { base } = /** @type {{ base: string }} */ (workerData)
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)

let nextId = 0
/** @type {Map<number, (value: string | null) => void>} */
const pending = new Map()
/** @type {(until: number) => void} */
let go = () => {}
const started = new Promise((resolve) => {
  go = resolve
})
port.on('message', (/** @type {{ id: number, value: string | null, go?: number }} */ message) => {
  if (message.go !== undefined) return go(message.go)
  pending.get(message.id)?.(message.value)
  pending.delete(message.id)
})
/** @param {string} op @param {string} key @param {string} [value] @returns {Promise<string | null>} */
function storage(op, key, value) {
  const id = nextId++
  return new Promise((resolve) => {
    pending.set(id, resolve)
    port.postMessage({ id, op, key, value })
  })
}
const sharedStorage = {
  get: (/** @type {string} */ key) => storage('get', key),
  set: async (/** @type {string} */ key, /** @type {string} */ value) => void (await storage('set', key, value)),
  remove: async (/** @type {string} */ key) => void (await storage('remove', key)),
}

const api = axios.create({ baseURL: base })
// axios-jwt is typed against axios's CommonJS declarations; this is the same axios as ESM.
const intercepted = /** @type {Parameters<typeof applyAuthTokenInterceptor>[0]} */ (/** @type {unknown} */ (api))
applyAuthTokenInterceptor(intercepted, {
  // The seed's client: POST the refresh token, keep both tokens of the answer.
  requestRefresh: async (refresh) => {
    const res = await axios.post(`${base}/api/token/refresh/`, { refresh })
    return { accessToken: res.data.access, refreshToken: res.data.refresh }
  },
  tokenExpireFudge: 1,
  getStorage: () => sharedStorage,
})

// Every tab starts at once, when all are loaded.
port.postMessage({ ready: true })
const until = /** @type {number} */ (await started)
let ok = 0
/** @type {string[]} */
const lost = []
while (Date.now() < until) {
  try {
    const res = await api.get('/api/user/')
    if (res.status === 200) ok++
  } catch (err) {
    lost.push(err instanceof Error ? err.message.slice(0, 200) : String(err))
  }
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60))
}
port.postMessage({ done: true, ok, lost })
