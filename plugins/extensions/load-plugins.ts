// KEYTURN_PLUGINS: each entry a path (absolute, or relative to the working directory) or a
// package name resolvable from there, whose default export is a Fastify plugin. A module that
// cannot be loaded, or exports no plugin, stops the start with a message naming it.
import type { FastifyPluginAsync } from 'fastify'
import { resolve as resolveModule } from 'import-meta-resolve'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { KeyturnConfig } from '../../fastify.config.js'

export type KeyturnPlugin = FastifyPluginAsync<{ config: KeyturnConfig }>

export interface NamedPlugin {
  name: string
  plugin: KeyturnPlugin
}

// A path, or a package name resolved as Node resolves an import from the working directory
// (the package's "exports", ES module or CommonJS), where the service is started from.
function moduleUrl(specifier: string, cwd: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(cwd, specifier)).href
  return resolveModule(specifier, pathToFileURL(join(cwd, 'package.json')).href)
}

export async function importPlugin(specifier: string, cwd = process.cwd()): Promise<NamedPlugin> {
  let loaded: { default?: unknown }
  try {
    loaded = (await import(moduleUrl(specifier, cwd))) as { default?: unknown }
  } catch (err) {
    throw new Error(`plugin ${specifier} could not be loaded: ${(err as Error).message}`, { cause: err })
  }
  const plugin = loaded.default
  if (typeof plugin !== 'function') throw new Error(`plugin ${specifier} does not export a Fastify plugin (its default export is ${typeof plugin})`)
  return { name: specifier, plugin: plugin as KeyturnPlugin }
}
