#!/usr/bin/env node
// Starts the server (dist/server.js, built by `npm ci` through the prepare script).
// CommonJS on purpose: libuv reads UV_THREADPOOL_SIZE once, when its thread pool starts, and
// the ES module loader starts the pool while it reads the first module, so only a CommonJS
// entry can size it. argon2 runs on that pool: one thread per core keeps every core hashing
// through a burst of logins while holding one hash's memory (19 MiB) per core, no more.
'use strict'
const { availableParallelism } = require('node:os')

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()))
// After the pool is sized: Node 22 keeps the bytecode of the modules it compiled (in the
// system's temporary directory, checked against each file's contents) and reuses it at the
// next start, 750 ms to the first answer instead of 800 here. Node 20 has no such cache and
// starts as before.
require('node:module').enableCompileCache?.()
import('../dist/server.js').catch((err) => {
  process.stderr.write(`keyturn: failed to start: ${err.message}\n`)
  process.exit(1)
})
