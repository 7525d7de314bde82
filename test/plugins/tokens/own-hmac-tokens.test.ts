import { createSigner, createVerifier } from 'fast-jwt'
import { createHmac } from 'node:crypto'
import t from 'tap'
import { ownHmacTokens, type OwnTokenRules } from '../../../plugins/tokens/own-hmac-tokens.js'
import { build, createUser, login, post, signJwt } from '../../helper.js'

const SECRET = 'a secret of at least thirty-two bytes, for HMAC'
const KID = 'kid-1'
const NOW = 1_800_000_000_000
const at = (seconds: number) => Math.floor(NOW / 1000) + seconds

function signer(algorithm: 'HS256' | 'HS384' | 'HS512', extra: Record<string, unknown> = {}) {
  return createSigner({ key: SECRET, algorithm, kid: KID, noTimestamp: true, ...extra })
}

// Any claims (fast-jwt's signer refuses some), under the header the key's signer writes.
function signAnything(claims: object): string {
  const header = signer('HS256')({}).split('.')[0] as string
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`
}

// The checker, and fast-jwt's verifier with the options Keyturn gives it, for one set of rules.
function pair(rules: OwnTokenRules, algorithm: 'HS256' | 'HS384' | 'HS512' = 'HS256') {
  const own = ownHmacTokens(algorithm, SECRET, signer(algorithm)({}), rules)
  if (own === undefined) throw new Error('no checker for an HMAC key')
  const general = createVerifier({
    key: SECRET,
    algorithms: [algorithm],
    clockTolerance: rules.leewayMs,
    clockTimestamp: NOW,
    cache: false,
    requiredClaims: [...(rules.issuer ? ['iss'] : []), ...(rules.audience ? ['aud'] : [])],
    ...(rules.issuer ? { allowedIss: rules.issuer } : {}),
    ...(rules.audience ? { allowedAud: rules.audience } : {}),
  })
  const generalSays = (raw: string): unknown => {
    try {
      return general(raw)
    } catch {
      return 'refused'
    }
  }
  const ownSays = (raw: string): unknown => {
    try {
      return own.verify(raw, NOW)
    } catch {
      return 'refused'
    }
  }
  return { own, generalSays, ownSays }
}

t.test('answers as fast-jwt does for every token with the key’s own header', async (t) => {
  const rulesList: OwnTokenRules[] = [{ leewayMs: 0 }, { leewayMs: 5000 }, { leewayMs: 0, issuer: 'https://keyturn.test', audience: 'api' }]
  for (const rules of rulesList) {
    const { generalSays, ownSays } = pair(rules)
    const genuine = { token_type: 'access', exp: at(60), jti: 'j', user_id: 1, sid: 1, client_id: null }
    const cases: Record<string, object> = {
      genuine,
      'expired a second ago': { ...genuine, exp: at(-1) },
      'expired four seconds ago': { ...genuine, exp: at(-4) },
      'expired ten seconds ago': { ...genuine, exp: at(-10) },
      'not before, in a second': { ...genuine, nbf: at(1) },
      'not before, in ten seconds': { ...genuine, nbf: at(10) },
      'not before, a second ago': { ...genuine, nbf: at(-1) },
      'exp as text': { ...genuine, exp: String(at(60)) },
      'nbf as null': { ...genuine, nbf: null },
      'no exp': { token_type: 'access', jti: 'j' },
      'a list, not an object': [1, 2],
      'the issuer': { ...genuine, iss: 'https://keyturn.test', aud: 'api' },
      'another issuer': { ...genuine, iss: 'https://evil.test', aud: 'api' },
      'issuer as a list': { ...genuine, iss: ['https://keyturn.test'], aud: 'api' },
      'audience in a list': { ...genuine, iss: 'https://keyturn.test', aud: ['other', 'api'] },
      'another audience': { ...genuine, iss: 'https://keyturn.test', aud: ['other'] },
      'an empty audience': { ...genuine, iss: 'https://keyturn.test', aud: [] },
      'an audience of numbers': { ...genuine, iss: 'https://keyturn.test', aud: [1, 'api'] },
      'no issuer': { ...genuine, aud: 'api' },
      'no audience': { ...genuine, iss: 'https://keyturn.test' },
    }
    for (const [name, claims] of Object.entries(cases)) {
      const raw = signAnything(claims)
      t.same(ownSays(raw), generalSays(raw), `${name}, leeway ${rules.leewayMs} ms${rules.issuer ? ', iss and aud required' : ''}`)
    }
  }
})

t.test('a signature that is not the key’s, to the byte and to the letter, is refused', async (t) => {
  const { ownSays } = pair({ leewayMs: 0 })
  const raw = signer('HS256')({ token_type: 'access', exp: at(60), jti: 'j' })
  const [header, payload, signature] = raw.split('.') as [string, string, string]
  t.notSame(ownSays(raw), 'refused', 'the genuine token')
  // The last of 43 letters carries 4 bits and 2 unused ones: the same bytes, spelled otherwise.
  const last = signature.at(-1) as string
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]
  t.same(Buffer.from(respelled, 'base64url'), Buffer.from(signature, 'base64url'), 'a second spelling of the same bytes')
  const other = JSON.stringify({ token_type: 'access', exp: at(60), jti: 'k' })
  const forged: Record<string, string> = {
    'the same bytes, spelled otherwise': `${header}.${payload}.${respelled}`,
    'padded': `${header}.${payload}.${signature}=`,
    'no signature': `${header}.${payload}.`,
    'a signature cut short': `${header}.${payload}.${signature.slice(0, -2)}`,
    'another payload under the signature': `${header}.${Buffer.from(other).toString('base64url')}.${signature}`,
    'a fourth part': `${raw}.x`,
    // U+0100 plus the letter's code: the same low byte, another character.
    'a letter past Latin-1 with the same low byte': `${header}.${payload}.${signature.slice(0, -1)}${String.fromCharCode(0x100 + (signature.at(-1) as string).charCodeAt(0))}`,
    'two parts': `${header}.${payload}`,
    'another key': signJwt(JSON.parse(Buffer.from(header, "base64url").toString()) as Record<string, unknown>, { token_type: 'access', exp: at(60), jti: 'j' }, 'another key of at least thirty-two bytes'),
  }
  for (const [name, token] of Object.entries(forged)) t.equal(ownSays(token), 'refused', name)
})

t.test('another header is left to the general verifier; other algorithms get no checker', async (t) => {
  const { own } = pair({ leewayMs: 0 })
  const claims = { token_type: 'access', exp: at(60), jti: 'j' }
  t.equal(own.verify(createSigner({ key: SECRET, algorithm: 'HS256', noTimestamp: true })(claims), NOW), undefined, 'no kid')
  t.equal(own.verify(createSigner({ key: SECRET, algorithm: 'HS256', kid: 'kid-2', noTimestamp: true })(claims), NOW), undefined, 'another kid')
  t.equal(own.verify(createSigner({ key: SECRET, algorithm: 'HS384', kid: KID, noTimestamp: true })(claims), NOW), undefined, 'another algorithm')
  t.equal(own.verify('not a token', NOW), undefined)
  for (const algorithm of ['HS384', 'HS512'] as const) {
    const { ownSays, generalSays } = pair({ leewayMs: 0 }, algorithm)
    const raw = signer(algorithm)(claims)
    t.same(ownSays(raw), generalSays(raw), algorithm)
    t.not(ownSays(raw), 'refused', algorithm)
  }
  t.equal(ownHmacTokens('RS256', SECRET, 'x.y.z', { leewayMs: 0 }), undefined)
})

t.test('through the app: verify and a Bearer route refuse a re-spelled signature and accept the token', async (t) => {
  const app = await build(t)
  await createUser(app, { username: 'spelled' })
  const { access } = await login(app, 'spelled')
  const signature = access.slice(access.lastIndexOf('.') + 1)
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const respelled = access.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1) as string) ^ 1]
  t.equal((await post(app, '/api/token/verify/', { token: respelled })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/user/', headers: { authorization: `Bearer ${respelled}` } })).statusCode, 401)
  t.equal((await post(app, '/api/token/verify/', { token: access })).statusCode, 200)
})
