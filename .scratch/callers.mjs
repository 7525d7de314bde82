import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const target = process.argv[3]
const parent = new Map()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n)
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const counts = new Map()
for (let i = 0; i < p.samples.length; i++) counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0))
const chains = new Map()
for (const [id, us] of counts) {
  const n = byId.get(id)
  if (n.callFrame.functionName !== target) continue
  const chain = []
  let c = parent.get(id)
  while (c && chain.length < 8) { chain.push(`${c.callFrame.functionName || '(anon)'}@${(c.callFrame.url || '').split('/').slice(-1)[0]}:${c.callFrame.lineNumber}`); c = parent.get(c.id) }
  const k = chain.join(' < ')
  chains.set(k, (chains.get(k) ?? 0) + us)
}
for (const [k, us] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log((us / 1000).toFixed(0), 'ms', k)
