// The discovery documents (RFC 8414, and the same at openid-configuration): where a service
// finds the JWKS and the OAuth endpoints; 404 without KEYTURN_ISSUER.
import t from 'tap'
import { build } from '../../helper.js'

const PATHS = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']

t.test('without KEYTURN_ISSUER there is no discovery document', async (t) => {
  const app = await build(t)
  for (const url of PATHS) t.equal((await app.inject(url)).statusCode, 404, url)
})

t.test('with an issuer URL: the endpoints under it, the scopes when configured, both documents alike', async (t) => {
  const app = await build(t, { env: { KEYTURN_ISSUER: 'https://auth.example.com/', KEYTURN_SCOPES: 'invoices:read,invoices:write', KEYTURN_JWKS_MAX_AGE: '60' } })
  const [metadata, openid] = await Promise.all(PATHS.map((url) => app.inject(url)))
  t.equal(metadata?.statusCode, 200)
  t.equal(metadata?.headers['cache-control'], 'public, max-age=60')
  t.same(metadata?.json(), {
    issuer: 'https://auth.example.com/',
    jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
    token_endpoint: 'https://auth.example.com/api/v1/oauth/token/',
    introspection_endpoint: 'https://auth.example.com/api/v1/oauth/introspect/',
    revocation_endpoint: 'https://auth.example.com/api/v1/oauth/revoke/',
    grant_types_supported: ['client_credentials'],
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['invoices:read', 'invoices:write'],
  })
  t.same(openid?.json(), metadata?.json(), 'the same document for OpenID-reading libraries')
  t.notOk('id_token_signing_alg_values_supported' in (metadata?.json() ?? {}), 'it does not claim to be an OpenID provider')
  // Every endpoint it names is served here.
  const doc = metadata?.json<Record<string, string>>() ?? {}
  t.equal((await app.inject(new URL(doc.jwks_uri as string).pathname)).statusCode, 200)
  for (const key of ['token_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
    const res = await app.inject({ method: 'POST', url: new URL(doc[key] as string).pathname, payload: {} })
    t.not(res.statusCode, 404, `${key} exists`)
  }
})

t.test('with an issuer that is not a URL: the endpoints under the request origin', async (t) => {
  const app = await build(t, { env: { KEYTURN_ISSUER: 'keyturn' } })
  const doc = (await app.inject({ url: PATHS[0] as string, headers: { host: 'auth.internal:8000' } })).json<Record<string, unknown>>()
  t.equal(doc.issuer, 'keyturn')
  t.equal(doc.jwks_uri, 'http://auth.internal:8000/.well-known/jwks.json')
  t.notOk('scopes_supported' in doc, 'no scopes configured, none listed')
})
