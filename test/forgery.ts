// What forged-token tests need besides the helper's signJwt: tokens signed with an
// attacker's own asymmetric key, and a key server that must never be contacted.
import { sign as cryptoSign, type KeyObject } from 'node:crypto'
import { createServer, type AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { base64url } from './helper.js'

// Signs with an asymmetric key of the attacker's (RS256, or ES256 in JOSE's r||s form).
export function signAsymmetric(header: { alg: 'RS256' | 'ES256'; [name: string]: unknown }, claims: object, key: KeyObject): string {
  const input = Buffer.from(`${base64url(header)}.${base64url(claims)}`)
  const signature =
    header.alg === 'ES256' ? cryptoSign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }) : cryptoSign('sha256', input, key)
  return `${input.toString()}.${signature.toString('base64url')}`
}

// A local listener standing in for the attacker's key server (for jku/x5u), counting the
// connections it gets; closed at teardown.
export async function keyServer(t: Pick<Test, 'teardown'>): Promise<{ url: string; connections: () => number }> {
  let connections = 0
  const server = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`, connections: () => connections }
}
