// Imported first by the entry points: libuv reads UV_THREADPOOL_SIZE once, at its first use.
// argon2 runs on that pool and each hash holds KEYTURN_ARGON2_MEMORY_KIB of memory, so more
// threads than cores adds memory and no throughput. An explicit setting wins.
import { availableParallelism } from 'node:os'

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()))
