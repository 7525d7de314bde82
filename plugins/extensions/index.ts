// The `extensions` concern: the public surface for plugin authors (`fastify.keyturn`) and the
// registration of their plugins, whether named in KEYTURN_PLUGINS or handed over by a service
// that embeds Keyturn. Each is registered inside Keyturn's context, after Keyturn's own
// plugins and routes, with `{ config }`; one that fails stops the start, naming it.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { KeyturnConfig } from '../../fastify.config.js'
import { importPlugin, type KeyturnPlugin, type NamedPlugin } from './load-plugins.js'
import type { KeyturnSurface } from './public-surface.js'

const DISPLAY_NAME = Symbol.for('fastify.display-name')

// The surface as one plugin sees it: what it adds (claims, handlers) is logged under its name.
const surfaces = new WeakMap<FastifyInstance, KeyturnSurface>()
function surfaceFor(instance: FastifyInstance): KeyturnSurface {
  let surface = surfaces.get(instance)
  if (surface === undefined) {
    const owner = instance.pluginName
    surface = {
      authenticate: instance.authenticate,
      requireStaff: instance.requireStaff,
      claims: { add: (fn, options) => instance.tokens.claims.add(fn, options, owner) },
      events: { on: (type, handler) => instance.events.on(type, handler, owner) },
    }
    surfaces.set(instance, surface)
  }
  return surface
}

export default fp(
  async (fastify) => {
    fastify.decorate('keyturn', {
      getter(this: FastifyInstance) {
        return surfaceFor(this)
      },
    })
  },
  { name: 'extensions', dependencies: ['authenticate', 'tokens', 'events'] },
)

// Registers the plugins KEYTURN_PLUGINS names, then the ones given in code (embedding).
export async function registerPlugins(fastify: FastifyInstance, config: KeyturnConfig, given: readonly KeyturnPlugin[] = []): Promise<void> {
  const plugins: NamedPlugin[] = []
  for (const specifier of config.KEYTURN_PLUGINS) plugins.push(await importPlugin(specifier))
  given.forEach((plugin, i) => plugins.push({ name: plugin.name || `plugins[${i}]`, plugin }))
  for (const { name, plugin } of plugins) {
    // The name its errors and handlers are logged under (fastify-plugin sets its own).
    const named = plugin as KeyturnPlugin & { [DISPLAY_NAME]?: string }
    named[DISPLAY_NAME] ??= name
    try {
      await fastify.register(plugin, { config })
    } catch (err) {
      throw new Error(`plugin ${name} failed to load: ${(err as Error).message}`, { cause: err })
    }
  }
}
