import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const byId = new Map(p.nodes.map((n) => [n.id, n]))
const self = new Map()
const dt = p.timeDeltas
const counts = new Map()
for (let i = 0; i < p.samples.length; i++) counts.set(p.samples[i], (counts.get(p.samples[i]) ?? 0) + (dt[i] ?? 0))
let total = 0
const byFile = new Map()
for (const [id, us] of counts) {
  const n = byId.get(id)
  const f = n.callFrame
  const file = (f.url || '').replace(/.*node_modules\//, 'nm/').replace(/.*\/work\/main\//, '').replace(/^node:/, 'node:')
  const key = `${f.functionName || '(anon)'} ${file}:${f.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + us)
  const fk = file.split('/').slice(0, file.startsWith('nm/') ? (file.startsWith('nm/@') ? 3 : 2) : 3).join('/') || f.functionName
  byFile.set(fk, (byFile.get(fk) ?? 0) + us)
  total += us
}
console.log('total ms', (total / 1000).toFixed(0))
for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * us / total).toFixed(1).padStart(5), '%', k)
console.log('---')
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((100 * us / total).toFixed(1).padStart(5), '%', k)
