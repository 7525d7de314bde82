// The bench's table, as text on the terminal and as markdown and JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface Stats {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  total: number
}

export interface ScenarioResult extends Stats {
  scenario: string
  description: string
  ceilingName: string
  ceilingRps: number
  ratio: number
  target: number | undefined
  peakRssMb: number | null
  // Every timed run beside the ceiling run before it; the row shows the median ratio's.
  runs: Array<{ ceilingRps: number; rps: number; ratio: number }>
}

export interface BenchReport {
  date: string
  store: 'sqlite' | 'postgres'
  machine: { cpus: number; cpuModel: string; memoryGb: number }
  node: string
  connections: number
  pipelining: number
  durationSeconds: number
  // Ceiling and scenario alternate in slices this long (whole runs for the scenarios that hash).
  sliceSeconds: number
  runs: number
  argon2: { memoryCost: number; timeCost: number; parallelism: number }
  sqliteSynchronous: string | null
  logLevel: string
  accessLog: boolean
  metrics: boolean
  nodeArgs: string[]
  settings: Record<string, string>
  results: ScenarioResult[]
}

// The issue's figures: the least ratio to the ceiling each scenario must reach.
// With the default configuration (access log and metrics on), `me` is held to 0.60.
export const TARGETS: Record<'sqlite' | 'postgres', Record<string, number>> = {
  sqlite: { verify: 0.65, me: 0.6, refresh: 0.25, login: 0.9, client_credentials: 0.3, introspect: 0.55 },
  postgres: { verify: 0.65, me: 0.5, refresh: 0.15, login: 0.9 },
}
export const RSS_LIMIT_MB = 200

function verdict(r: ScenarioResult): string {
  const ratioOk = r.target === undefined || r.ratio >= r.target
  const rssOk = r.peakRssMb === null || r.peakRssMb <= RSS_LIMIT_MB
  return ratioOk && rssOk ? 'ok' : 'MISSED'
}

// Two decimals, or three where two would round a miss up to its target (0.649 is not 0.65).
function ratioText(r: ScenarioResult): string {
  const two = r.ratio.toFixed(2)
  return r.target !== undefined && r.ratio < r.target && Number(two) >= r.target ? r.ratio.toFixed(3) : two
}

function rows(report: BenchReport): string[][] {
  return report.results.map((r) => [
    r.scenario,
    r.rps.toFixed(0),
    String(r.p50),
    String(r.p99),
    String(r.non2xx),
    String(r.errors),
    `${r.ceilingName} ${r.ceilingRps.toFixed(0)}`,
    ratioText(r),
    r.target === undefined ? '-' : `>= ${r.target.toFixed(2)}`,
    r.peakRssMb === null ? '?' : String(r.peakRssMb),
    verdict(r),
  ])
}

const HEADER = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'ceiling req/s', 'ratio', 'target', 'peak RSS MB', '']

function header(report: BenchReport): string {
  return (
    `${report.date}, store ${report.store}${report.sqliteSynchronous ? ` (synchronous=${report.sqliteSynchronous})` : ''}, ` +
    `Node ${report.node}${report.nodeArgs.length > 0 ? ` ${report.nodeArgs.join(' ')}` : ''}, ${report.machine.cpus} x ${report.machine.cpuModel}, ${report.machine.memoryGb} GiB; ` +
    `${report.connections} connections, pipelining ${report.pipelining}, median ratio of ${report.runs} runs of ${report.durationSeconds}s (in ${report.sliceSeconds} s slices, whole runs where passwords are hashed); ` +
    `argon2id m=${report.argon2.memoryCost} KiB t=${report.argon2.timeCost} p=${report.argon2.parallelism}; LOG_LEVEL=${report.logLevel}, access log ${report.accessLog ? 'on' : 'off'}, metrics ${report.metrics ? 'on' : 'off'}; ` +
    `${Object.entries(report.settings).map(([k, v]) => `${k}=${v}; `).join('')}` +
    `peak RSS (over the timed runs) limit ${RSS_LIMIT_MB} MB`
  )
}

export function markdown(report: BenchReport): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [
    header(report),
    '',
    line(HEADER.map((h) => h || 'verdict')),
    line(HEADER.map(() => '---')),
    ...rows(report).map(line),
    '',
    ...report.results.map((r) => `- ${r.scenario}: ${r.description}; runs (req/s / ceiling = ratio): ${r.runs.map((p) => `${p.rps} / ${p.ceilingRps} = ${p.ratio.toFixed(2)}`).join(', ')}`),
    '',
  ].join('\n')
}

export function printTable(report: BenchReport): void {
  const all = [HEADER, ...rows(report)]
  const widths = HEADER.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)))
  console.log(`\n${header(report)}\n`)
  for (const row of all) console.log(row.map((cell, i) => cell.padStart(widths[i] ?? 0)).join('  '))
}

export function writeReport(report: BenchReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = report.date.replace(/[:.]/g, '-')
  const files = [
    join(dir, `${stamp}-${report.store}.json`),
    join(dir, `${stamp}-${report.store}.md`),
    join(dir, `latest-${report.store}.md`),
  ]
  writeFileSync(files[0] as string, JSON.stringify(report, null, 2) + '\n')
  writeFileSync(files[1] as string, markdown(report))
  writeFileSync(files[2] as string, markdown(report))
  return files
}
