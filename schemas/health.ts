// Probes for orchestrators: /health/live and /health/ready.
import { Type } from '@sinclair/typebox'

export const HealthStatus = Type.Object({ status: Type.String() }, { title: 'HealthStatus' })
