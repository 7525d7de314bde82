// @ts-check
// A custom claim: every token says which tier its user's client (tenant) is on, so the
// services behind Keyturn can decide without asking anyone. The tiers come from
// EXAMPLE_TENANT_TIERS, a JSON object of client name to tier; other clients are "free".
//
//   KEYTURN_PLUGINS=./examples/plugins/tenant-tier.js EXAMPLE_TENANT_TIERS='{"Company ABC":"gold"}' npm start
//
// The claim is set at login and carried forward by every refresh (as SimpleJWT carries a
// refresh token's claims). Add { onRefresh: true } to compute it again on each refresh instead.

/** @type {import('keyturn').KeyturnPlugin} */
export default async function tenantTier(fastify) {
  /** @type {Record<string, string>} */
  const tiers = JSON.parse(process.env.EXAMPLE_TENANT_TIERS ?? '{}')
  fastify.keyturn.claims.add((ctx) => ({ tier: (ctx.client && tiers[ctx.client.name]) ?? 'free' }), { names: ['tier'] })
}
