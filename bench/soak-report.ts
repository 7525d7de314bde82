// The soak's figures: printed, and written as JSON (every sample) and markdown.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SoakReport } from './soak.js'

// What the soak must show: memory that levels off, and no failed answer.
export const SOAK_RSS_GROWTH_LIMIT_MB = 5

export function soakSummary(report: SoakReport, store: string): string {
  const w = report.window
  const verdict = w.rssGrowthMb < SOAK_RSS_GROWTH_LIMIT_MB && report.non2xx === 0 && report.errors === 0 ? 'ok' : 'MISSED'
  const peak = Math.max(...report.samples.map((s) => s.rssMb))
  return [
    `soak on ${store}: ${report.minutes} min at ${report.rate} req/s, ${report.requests} requests (me ${report.byKind.me}, refresh ${report.byKind.refresh}, login ${report.byKind.login}), ${report.non2xx} non-2xx, ${report.errors} errors`,
    `from minute ${(w.fromSeconds / 60).toFixed(1)} to the end: RSS ${w.rssGrowthMb >= 0 ? '+' : ''}${w.rssGrowthMb.toFixed(1)} MB (${w.rssSlopeMbPerMin.toFixed(2)} MB/min), heap ${w.heapGrowthMb >= 0 ? '+' : ''}${w.heapGrowthMb.toFixed(1)} MB (${w.heapSlopeMbPerMin.toFixed(2)} MB/min); peak RSS ${peak.toFixed(0)} MB; limit +${SOAK_RSS_GROWTH_LIMIT_MB} MB: ${verdict}`,
  ].join('\n')
}

export function printSoak(report: SoakReport, store: string): void {
  console.log(`\n${soakSummary(report, store)}`)
}

export function writeSoak(report: SoakReport, store: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const mb = (value: number) => value.toFixed(1)
  const rows = report.samples.map(
    (s) => `| ${(s.atSeconds / 60).toFixed(1)} | ${mb(s.rssMb)} | ${mb(s.anonMb)} | ${mb(s.fileMb)} | ${mb(s.heapUsedMb)} | ${mb(s.heapTotalMb)} | ${mb(s.externalMb)} |`,
  )
  const header = '| minute | RSS MB | anonymous MB | file-backed MB | heap used MB | heap committed MB | external MB |\n| --- | --- | --- | --- | --- | --- | --- |'
  const md = `${soakSummary(report, store)}\n\n${header}\n${rows.join('\n')}\n`
  const files = [join(dir, `${stamp}-${store}-soak.json`), join(dir, `${stamp}-${store}-soak.md`)]
  writeFileSync(files[0] as string, `${JSON.stringify({ store, ...report }, null, 2)}\n`)
  writeFileSync(files[1] as string, md)
  return files
}
