// Parses Prometheus' text format with the Prometheus project's own parser (the Python
// client's, Debian's python3-prometheus-client; .ci/run installs it): what a real scraper
// reads, not what this repository believes the format to be. A text it cannot parse throws.
import { spawnSync } from 'node:child_process'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  type: string
  samples: Sample[]
}

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": family.name, "type": family.type, "samples": [
        {"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in family.samples]})
print(json.dumps(out))
`

export function parsePrometheus(text: string): MetricFamily[] {
  const run = spawnSync('/usr/bin/python3', ['-c', PARSE], { input: text, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`the Prometheus parser refused the text: ${run.stderr || run.error?.message}`)
  return JSON.parse(run.stdout) as MetricFamily[]
}
