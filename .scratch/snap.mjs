import { readFileSync } from 'node:fs'
const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const { node_fields, node_types } = snap.snapshot.meta
const F = node_fields.length
const types = node_types[0]
const iType = node_fields.indexOf('type'), iName = node_fields.indexOf('name'), iSize = node_fields.indexOf('self_size')
const agg = new Map()
for (let i = 0; i < snap.nodes.length; i += F) {
  const type = types[snap.nodes[i + iType]]
  const name = type === 'object' || type === 'closure' ? snap.strings[snap.nodes[i + iName]] : `(${type})`
  const a = agg.get(name) ?? { n: 0, size: 0 }
  a.n++; a.size += snap.nodes[i + iSize]
  agg.set(name, a)
}
const rows = [...agg].sort((x, y) => y[1].size - x[1].size).slice(0, 40)
for (const [name, a] of rows) console.log(String((a.size / 1048576).toFixed(2)).padStart(7), 'MB', String(a.n).padStart(8), name.slice(0, 80))
