// The scale bench's table: each figure on the small store and the large one, their ratio
// where one is a throughput or a time, and the bound it is held to. Markdown and JSON under
// bench/results/ (scale-<store>.md is the latest).
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface ScaleRow {
  figure: string
  description: string
  small: number | undefined
  large: number
  // large over small for throughputs, small over large for times; none for bounds.
  ratio: number | undefined
  target: string
  ok: boolean
  note: string
}

export interface ScaleReport {
  date: string
  store: 'sqlite' | 'postgres'
  users: number
  small: number
  machine: { cpus: number; cpuModel: string }
  node: string
  connections: number
  durationSeconds: number
  sliceSeconds: number
  runs: number
  rows: ScaleRow[]
}

const HEADER = ['figure', 'small', 'large', 'ratio', 'target', 'verdict', 'note']

const count = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n))

function cells(report: ScaleReport): string[][] {
  return report.rows.map((r) => [
    r.figure,
    r.small === undefined ? '-' : String(r.small),
    String(r.large),
    r.ratio === undefined ? '-' : r.ratio.toFixed(2),
    r.target,
    r.ok ? 'ok' : 'MISSED',
    r.note,
  ])
}

function header(r: ScaleReport): string {
  return (
    `${r.date}, store ${r.store}: ${count(r.users)} users (large) against ${count(r.small)} (small), both seeded by SQL and running side by side; ` +
    `Node ${r.node}, ${r.machine.cpus} x ${r.machine.cpuModel}; ${r.connections} connections, median ratio of ${r.runs} runs of ${r.durationSeconds} s ` +
    `(${r.sliceSeconds} s slices of each, alternating; whole runs for login)`
  )
}

export function printScale(report: ScaleReport): void {
  const all = [HEADER, ...cells(report)]
  const widths = HEADER.map((_, i) => Math.min(60, Math.max(...all.map((row) => (row[i] ?? '').length))))
  console.log(`\n${header(report)}\n`)
  for (const row of all) console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '))
}

export function writeScale(report: ScaleReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const line = (c: string[]) => `| ${c.join(' | ')} |`
  const md = [
    header(report),
    '',
    line(HEADER),
    line(HEADER.map(() => '---')),
    ...cells(report).map(line),
    '',
    ...report.rows.map((r) => `- ${r.figure}: ${r.description}`),
    '',
  ].join('\n')
  const stamp = report.date.replace(/[:.]/g, '-')
  const files = [join(dir, `${stamp}-scale-${report.store}.json`), join(dir, `scale-${report.store}.md`)]
  writeFileSync(files[0] as string, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(files[1] as string, md)
  return files
}
