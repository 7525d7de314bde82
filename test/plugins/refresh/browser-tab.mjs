// @ts-check
// One browser tab of a SimpleJWT client built on axios-jwt, in a worker thread: its own copy
// of axios-jwt (a tab's module state), and storage shared with the other tabs the way a
// browser's tabs share localStorage: one memory, read and written at once (a
// SharedArrayBuffer, under a lock). It calls GET /api/user/ in a loop; axios-jwt refreshes the
// access token when it is about to expire, and the tabs meet the same expiry together.
import axios from 'axios'
import { applyAuthTokenInterceptor } from 'axios-jwt'
import { parentPort, workerData } from 'node:worker_threads'

const { base, memory } = /** @type {{ base: string, memory: SharedArrayBuffer }} */ (workerData)
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)

// [0]: the lock, [1]: the value's length in bytes (-1: none); the value from byte 8.
const header = new Int32Array(memory, 0, 2)
const bytes = new Uint8Array(memory, 8)
/** @template T @param {() => T} fn @returns {T} */
function locked(fn) {
  while (Atomics.compareExchange(header, 0, 0, 1) !== 0) Atomics.wait(header, 0, 1, 1)
  try {
    return fn()
  } finally {
    Atomics.store(header, 0, 0)
    Atomics.notify(header, 0)
  }
}
// One key is all axios-jwt keeps: both tokens, as JSON.
const localStorage = {
  get: async (/** @type {string} */ _key) =>
    locked(() => {
      const length = Atomics.load(header, 1)
      return length < 0 ? null : new TextDecoder().decode(bytes.slice(0, length))
    }),
  set: async (/** @type {string} */ _key, /** @type {string} */ value) =>
    locked(() => {
      const encoded = new TextEncoder().encode(value)
      bytes.set(encoded)
      Atomics.store(header, 1, encoded.length)
    }),
  remove: async (/** @type {string} */ _key) => void locked(() => Atomics.store(header, 1, -1)),
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
  getStorage: () => localStorage,
})

// Every tab starts at once, when all are loaded.
/** @type {(until: number) => void} */
let go = () => {}
const started = new Promise((resolve) => {
  go = resolve
})
port.on('message', (/** @type {{ go: number }} */ message) => go(message.go))
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
