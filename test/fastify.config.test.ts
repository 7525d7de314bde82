// Configuration from the environment: defaults, validation with a message naming the bad
// variable, and where the signing key comes from.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadConfig, parseTrustProxy, serverOptions } from '../fastify.config.js'
import { resolveSigningKey } from '../plugins/keys/signing-key.js'

const HMAC_KEY = 'k'.repeat(32)

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyturn-config-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function recordingLog() {
  const warnings: string[] = []
  return { warnings, log: { warn: (msg: string) => void warnings.push(msg) } }
}

t.test('loadConfig', async (t) => {
  t.test('defaults', async (t) => {
    const config = loadConfig({})
    t.match(config, {
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 8000,
      LOG_LEVEL: 'info',
      KEYTURN_DATABASE_URL: 'sqlite:./data/keyturn.sqlite',
      KEYTURN_DATA_DIR: './data',
      // Parsed once: durations in milliseconds, lists as arrays.
      KEYTURN_ACCESS_TOKEN_LIFETIME: 15 * 60_000,
      KEYTURN_REFRESH_TOKEN_LIFETIME: 7 * 86_400_000,
      KEYTURN_ROTATE_REFRESH_TOKENS: true,
      KEYTURN_BLACKLIST_AFTER_ROTATION: true,
      KEYTURN_ALGORITHM: 'HS256',
      KEYTURN_AUTH_HEADER_TYPES: ['Bearer'],
      KEYTURN_ARGON2_MEMORY_KIB: 19456,
      KEYTURN_ARGON2_TIME_COST: 2,
      KEYTURN_ARGON2_PARALLELISM: 1,
      KEYTURN_TRUST_PROXY: false,
      KEYTURN_CORS_ORIGINS: [],
      KEYTURN_VERIFIED_TOKEN_CACHE_SIZE: 10_000,
      KEYTURN_VERIFIED_TOKEN_DIGESTS: 500_000,
    })
    t.equal(config.KEYTURN_SIGNING_KEY, undefined)
    t.equal(config.KEYTURN_ISSUER, undefined)
    t.equal(config.KEYTURN_AUDIENCE, undefined)
  })

  // Sets process.env for one test and puts it back afterwards.
  const withProcessEnv = (t: { teardown(fn: () => unknown): void }, vars: Record<string, string>) => {
    const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]))
    Object.assign(process.env, vars)
    t.teardown(() => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    })
  }

  t.test('an explicit environment is the whole environment (process.env is not mixed in)', async (t) => {
    withProcessEnv(t, { PORT: '1234', KEYTURN_ISSUER: 'leaked-from-process-env' })
    const config = loadConfig({})
    t.equal(config.PORT, 8000)
    t.equal(config.KEYTURN_ISSUER, undefined)
  })

  t.test('empty variables in the process environment are unset too (KEY= lines in compose files)', async (t) => {
    withProcessEnv(t, { NODE_ENV: '', PORT: '', HOST: '', KEYTURN_SIGNING_KEY: '', KEYTURN_ROTATE_REFRESH_TOKENS: '' })
    let config: ReturnType<typeof loadConfig> | undefined
    t.doesNotThrow(() => {
      config = loadConfig()
    })
    t.match(config, { NODE_ENV: 'development', PORT: 8000, HOST: '127.0.0.1', KEYTURN_ROTATE_REFRESH_TOKENS: true })
    t.equal(config?.KEYTURN_SIGNING_KEY, undefined)
  })

  t.test('reads and converts every documented variable', async (t) => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '9001',
      KEYTURN_DATABASE_URL: 'postgres://keyturn@db:5432/keyturn',
      KEYTURN_SIGNING_KEY: HMAC_KEY,
      KEYTURN_ACCESS_TOKEN_LIFETIME: '300',
      KEYTURN_REFRESH_TOKEN_LIFETIME: '14d',
      KEYTURN_ROTATE_REFRESH_TOKENS: 'false',
      KEYTURN_BLACKLIST_AFTER_ROTATION: 'false',
      KEYTURN_ISSUER: 'https://auth.example.com',
      KEYTURN_AUDIENCE: 'example-api',
      KEYTURN_AUTH_HEADER_TYPES: 'Bearer,JWT',
      KEYTURN_ARGON2_MEMORY_KIB: '65536',
      KEYTURN_ARGON2_TIME_COST: '3',
      KEYTURN_ARGON2_PARALLELISM: '4',
    })
    t.match(config, {
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: 9001,
      KEYTURN_DATABASE_URL: 'postgres://keyturn@db:5432/keyturn',
      KEYTURN_SIGNING_KEY: HMAC_KEY,
      KEYTURN_ACCESS_TOKEN_LIFETIME: 300_000,
      KEYTURN_REFRESH_TOKEN_LIFETIME: 14 * 86_400_000,
      KEYTURN_ROTATE_REFRESH_TOKENS: false,
      KEYTURN_BLACKLIST_AFTER_ROTATION: false,
      KEYTURN_ISSUER: 'https://auth.example.com',
      KEYTURN_AUDIENCE: 'example-api',
      KEYTURN_AUTH_HEADER_TYPES: ['Bearer', 'JWT'],
      KEYTURN_ARGON2_MEMORY_KIB: 65536,
      KEYTURN_ARGON2_TIME_COST: 3,
      KEYTURN_ARGON2_PARALLELISM: 4,
    })
    const lifetimes: [string, number][] = [['300', 300_000], ['300s', 300_000], ['15m', 900_000], ['12h', 43_200_000], ['7d', 604_800_000], ['250ms', 250]]
    for (const [lifetime, ms] of lifetimes) {
      t.equal(loadConfig({ KEYTURN_ACCESS_TOKEN_LIFETIME: lifetime }).KEYTURN_ACCESS_TOKEN_LIFETIME, ms, lifetime)
    }
    t.same(loadConfig({ KEYTURN_CORS_ORIGINS: 'https://a.example, https://b.example,' }).KEYTURN_CORS_ORIGINS, ['https://a.example', 'https://b.example'])
    for (const url of ['sqlite::memory:', 'sqlite:/var/lib/keyturn/db.sqlite', 'postgresql://u:p@h/db?schema=kt']) {
      t.equal(loadConfig({ KEYTURN_DATABASE_URL: url }).KEYTURN_DATABASE_URL, url)
    }
    t.equal(loadConfig({ KEYTURN_ROTATE_REFRESH_TOKENS: 'true' }).KEYTURN_ROTATE_REFRESH_TOKENS, true)
  })

  t.test('a bad value throws an Error naming the variable', async (t) => {
    const cases: [string, string][] = [
      ['PORT', 'abc'],
      ['PORT', '70000'],
      ['PORT', '-1'],
      ['KEYTURN_ACCESS_TOKEN_LIFETIME', '15 minutes'],
      ['KEYTURN_REFRESH_TOKEN_LIFETIME', '1w'],
      ['KEYTURN_DATABASE_URL', 'mysql://root@localhost/keyturn'],
      ['KEYTURN_DATABASE_URL', 'sqlite:'],
      ['KEYTURN_ROTATE_REFRESH_TOKENS', 'maybe'],
      ['KEYTURN_BLACKLIST_AFTER_ROTATION', 'sure'],
      ['KEYTURN_AUTH_HEADER_TYPES', 'Bearer JWT'],
      ['KEYTURN_ARGON2_MEMORY_KIB', '64'],
      ['KEYTURN_ARGON2_TIME_COST', '0'],
      ['KEYTURN_ARGON2_PARALLELISM', 'many'],
      ['KEYTURN_ALGORITHM', 'none'],
      ['KEYTURN_VERIFIED_TOKEN_CACHE_SIZE', '-1'],
      ['KEYTURN_VERIFIED_TOKEN_CACHE_SIZE', '2000000'],
      ['KEYTURN_VERIFIED_TOKEN_DIGESTS', '-1'],
      ['KEYTURN_VERIFIED_TOKEN_DIGESTS', '20000000'],
      ['NODE_ENV', 'prod'],
    ]
    for (const [name, value] of cases) {
      let error: unknown
      try {
        loadConfig({ [name]: value })
      } catch (err) {
        error = err
      }
      t.type(error, Error, `${name}=${value} throws an Error`)
      t.match((error as Error | undefined)?.message, new RegExp(`\\b${name}\\b`), `${name}=${value}: the message names ${name}`)
    }
  })

  t.test('a bad database URL does not leak its password into the message', async (t) => {
    t.throws(() => loadConfig({ KEYTURN_DATABASE_URL: 'mysql://root:hunter2@db/keyturn' }), { message: /KEYTURN_DATABASE_URL/ })
    try {
      loadConfig({ KEYTURN_DATABASE_URL: 'mysql://root:hunter2@db/keyturn' })
    } catch (err) {
      t.notMatch((err as Error).message, /hunter2/)
    }
  })

  t.test('empty variables are treated as unset', async (t) => {
    const empty: Record<string, string> = {}
    for (const name of [
      'NODE_ENV', 'HOST', 'PORT', 'KEYTURN_DATABASE_URL', 'KEYTURN_SIGNING_KEY', 'KEYTURN_ACCESS_TOKEN_LIFETIME',
      'KEYTURN_REFRESH_TOKEN_LIFETIME', 'KEYTURN_ROTATE_REFRESH_TOKENS', 'KEYTURN_BLACKLIST_AFTER_ROTATION',
      'KEYTURN_ISSUER', 'KEYTURN_AUDIENCE', 'KEYTURN_AUTH_HEADER_TYPES', 'KEYTURN_ARGON2_MEMORY_KIB',
      'KEYTURN_ARGON2_TIME_COST', 'KEYTURN_ARGON2_PARALLELISM', 'KEYTURN_TRUST_PROXY',
    ]) {
      empty[name] = ''
    }
    t.same(loadConfig(empty), loadConfig({}))
  })
})

t.test('parseTrustProxy', async (t) => {
  t.equal(parseTrustProxy('false'), false)
  t.equal(parseTrustProxy('0'), false)
  t.equal(parseTrustProxy(''), false)
  t.equal(parseTrustProxy(' false '), false)
  t.equal(parseTrustProxy('true'), true)
  const hops = parseTrustProxy('2')
  if (typeof hops !== 'function') throw new Error('a hop count gives a function')
  t.same([0, 1, 2, 3].map((hop) => hops('10.0.0.1', hop)), [true, true, false, false])
  t.same(parseTrustProxy('10.0.0.1, 192.168.0.0/16,,'), ['10.0.0.1', '192.168.0.0/16'])
  t.same(parseTrustProxy('127.0.0.1'), ['127.0.0.1'])
  t.equal(serverOptions(loadConfig({})).trustProxy, false, 'X-Forwarded-For is not believed by default')
})

t.test('resolveSigningKey', async (t) => {
  t.test('production without a key refuses to start, naming KEYTURN_SIGNING_KEY', async (t) => {
    const dir = tempDir(t)
    const { log, warnings } = recordingLog()
    const config = loadConfig({ NODE_ENV: 'production', KEYTURN_DATA_DIR: dir })
    t.throws(() => resolveSigningKey(config, log), { message: /KEYTURN_SIGNING_KEY/ })
    t.throws(() => resolveSigningKey(loadConfig({ NODE_ENV: 'production', KEYTURN_DATA_DIR: dir, KEYTURN_SIGNING_KEY: '' }), log), {
      message: /KEYTURN_SIGNING_KEY/,
    })
    t.throws(() => statSync(join(dir, 'signing.key')), 'no key file is written in production')
    t.same(warnings, [])
  })

  t.test('production ignores a development key left in the data folder', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'signing.key'), 'd'.repeat(64) + '\n', { mode: 0o600 })
    const config = loadConfig({ NODE_ENV: 'production', KEYTURN_DATA_DIR: dir })
    t.throws(() => resolveSigningKey(config, recordingLog().log), { message: /KEYTURN_SIGNING_KEY/ })
  })

  t.test('production with a key uses it', async (t) => {
    const config = loadConfig({ NODE_ENV: 'production', KEYTURN_SIGNING_KEY: HMAC_KEY })
    t.equal(resolveSigningKey(config, recordingLog().log), HMAC_KEY)
  })

  t.test('development without a key makes one, keeps it 0600 in the data folder, and reuses it', async (t) => {
    const dir = join(tempDir(t), 'nested', 'data')
    const { log, warnings } = recordingLog()
    const config = loadConfig({ KEYTURN_DATA_DIR: dir })
    const first = resolveSigningKey(config, log)
    if (typeof first !== 'string') throw new Error('an HMAC key is a string')
    t.ok(Buffer.byteLength(first) >= 32, 'the generated key is long enough for HMAC')
    const file = join(dir, 'signing.key')
    t.equal(statSync(file).mode & 0o777, 0o600)
    t.equal(readFileSync(file, 'utf8').trim(), first)
    t.equal(warnings.length, 1)
    t.match(warnings[0], /KEYTURN_SIGNING_KEY/)
    t.match(warnings[0], file)
    t.notOk(warnings[0]?.includes(first), 'the key itself is not logged')

    const second = resolveSigningKey(loadConfig({ KEYTURN_DATA_DIR: dir, NODE_ENV: 'test' }), log)
    t.equal(second, first, 'the same key on the next start')
    t.equal(warnings.length, 1, 'no new key, no new warning')

    const other = resolveSigningKey(loadConfig({ KEYTURN_DATA_DIR: tempDir(t) }), log)
    t.not(other, first, 'each data folder gets its own random key')
  })

  t.test('a configured key wins over the development key file', async (t) => {
    const dir = tempDir(t)
    writeFileSync(join(dir, 'signing.key'), 'f'.repeat(64) + '\n')
    t.equal(resolveSigningKey(loadConfig({ KEYTURN_DATA_DIR: dir, KEYTURN_SIGNING_KEY: HMAC_KEY }), recordingLog().log), HMAC_KEY)
  })

  t.test('a short HMAC key is refused', async (t) => {
    const dir = tempDir(t)
    for (const env of [{ NODE_ENV: 'production' }, { NODE_ENV: 'development' }]) {
      const config = loadConfig({ ...env, KEYTURN_DATA_DIR: dir, KEYTURN_SIGNING_KEY: 'k'.repeat(31) })
      t.throws(() => resolveSigningKey(config, recordingLog().log), { message: /KEYTURN_SIGNING_KEY.*32 bytes/ }, env.NODE_ENV)
    }
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    t.equal(resolveSigningKey(loadConfig({ KEYTURN_SIGNING_KEY: 'é'.repeat(16) }), recordingLog().log), 'é'.repeat(16))
  })

  t.test('a short or empty development key file is refused, not used', async (t) => {
    for (const content of ['short\n', '', '\n']) {
      const dir = tempDir(t)
      writeFileSync(join(dir, 'signing.key'), content, { mode: 0o600 })
      const config = loadConfig({ KEYTURN_DATA_DIR: dir })
      t.throws(() => resolveSigningKey(config, recordingLog().log), { message: /signing\.key|32 bytes/ }, JSON.stringify(content))
    }
  })

  t.test('asymmetric algorithms need both PEM keys', async (t) => {
    for (const env of [{}, { KEYTURN_SIGNING_KEY: 'private' }, { KEYTURN_VERIFYING_KEY: 'public' }]) {
      const config = loadConfig({ ...env, KEYTURN_ALGORITHM: 'RS256', KEYTURN_DATA_DIR: tempDir(t) })
      t.throws(() => resolveSigningKey(config, recordingLog().log), { message: /KEYTURN_SIGNING_KEY.*KEYTURN_VERIFYING_KEY/ })
    }
    const config = loadConfig({ KEYTURN_ALGORITHM: 'ES256', KEYTURN_SIGNING_KEY: 'a\\nb', KEYTURN_VERIFYING_KEY: 'c\\nd' })
    t.same(resolveSigningKey(config, recordingLog().log), { private: 'a\nb', public: 'c\nd' }, 'escaped newlines of a one-line PEM are restored')
  })
})
