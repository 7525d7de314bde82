// Private keys at rest: AES-256-GCM under KEYTURN_KEY_ENCRYPTION_KEY, with the key's kid as
// associated data, so a sealed key copied onto another row (or altered) does not open. The
// store alone (a backup, a replica, a SQL injection elsewhere) never yields a signing key.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'

// KEYTURN_KEY_ENCRYPTION_KEY: 32 random bytes as base64 (`openssl rand -base64 32`).
export function encryptionKeyFrom(value: string | undefined): Buffer {
  const hint = 'KEYTURN_KEYS=managed needs KEYTURN_KEY_ENCRYPTION_KEY: 32 random bytes as base64 (openssl rand -base64 32)'
  if (value === undefined || value === '') throw new Error(hint)
  const bytes = Buffer.from(value, 'base64')
  // Buffer.from skips what is not base64; re-encoding tells a real 32-byte value from noise.
  if (bytes.length !== 32 || bytes.toString('base64').replace(/=+$/, '') !== value.trim().replace(/=+$/, '')) {
    throw new Error(`${hint}; the value given is not that`)
  }
  return bytes
}

export function seal(encryptionKey: Buffer, kid: string, plaintext: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv).setAAD(Buffer.from(kid))
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), sealed.toString('base64url')].join('.')
}

export function unseal(encryptionKey: Buffer, kid: string, value: string): string {
  const [version, iv, tag, sealed] = value.split('.')
  if (version !== VERSION || iv === undefined || tag === undefined || sealed === undefined) {
    throw new Error(`signing key ${kid}: its private half is not in a form this version reads`)
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url')).setAAD(Buffer.from(kid))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString('utf8')
  } catch {
    throw new Error(`signing key ${kid}: KEYTURN_KEY_ENCRYPTION_KEY does not open its private half (another key than the one it was sealed with?)`)
  }
}
