#!/usr/bin/env node
// Starts the server (dist/server.js, built by `npm ci` through the prepare script).
// CommonJS on purpose: libuv reads UV_THREADPOOL_SIZE once, when its thread pool starts, and
// the ES module loader starts the pool while it reads the first module, so only a CommonJS
// entry can size it. argon2 runs on that pool: one thread per core keeps every core hashing
// through a burst of logins while holding one hash's memory (19 MiB) per core, no more.
'use strict'
const { availableParallelism } = require('node:os')

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(2, availableParallelism()))
import('../dist/server.js').catch((err) => {
  process.stderr.write(`keyturn: failed to start: ${err.message}\n`)
  process.exit(1)
})
