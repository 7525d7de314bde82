// Where the signing key comes from. Production never falls back: no key, no start. In
// development a random key is made once and kept in the data folder, so tokens survive a
// restart.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { KeyturnConfig } from '../../fastify.config.js'

export type JwtSecret = string | { private: string; public: string }

export function resolveSigningKey(config: KeyturnConfig, log: { warn(msg: string): void }): JwtSecret {
  const symmetric = config.KEYTURN_ALGORITHM.startsWith('HS')
  const key = config.KEYTURN_SIGNING_KEY
  if (!symmetric) {
    if (!key || !config.KEYTURN_VERIFYING_KEY) {
      throw new Error(`KEYTURN_ALGORITHM=${config.KEYTURN_ALGORITHM} needs KEYTURN_SIGNING_KEY (private PEM) and KEYTURN_VERIFYING_KEY (public PEM)`)
    }
    return { private: key.replace(/\\n/g, '\n'), public: config.KEYTURN_VERIFYING_KEY.replace(/\\n/g, '\n') }
  }
  if (key) {
    if (Buffer.byteLength(key) < 32) throw new Error('KEYTURN_SIGNING_KEY must be at least 32 bytes for HMAC signing')
    return key
  }
  if (config.NODE_ENV === 'production') {
    throw new Error('KEYTURN_SIGNING_KEY is required when NODE_ENV=production')
  }
  const file = join(config.KEYTURN_DATA_DIR, 'signing.key')
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim()
    if (Buffer.byteLength(kept) < 32) {
      throw new Error(`${file} holds no usable key (fewer than 32 bytes): delete it to have a new one generated`)
    }
    return kept
  }
  mkdirSync(config.KEYTURN_DATA_DIR, { recursive: true })
  const generated = randomBytes(48).toString('base64url')
  writeFileSync(file, generated + '\n', { mode: 0o600, flag: 'wx' })
  log.warn(`KEYTURN_SIGNING_KEY is not set: generated a development key in ${file}`)
  return generated
}
