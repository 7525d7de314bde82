// The `events` concern: auth events for plugins. Flows emit an event once their transaction
// has committed; handlers run after the answer has been written (setImmediate), so a slow or
// failing handler never delays or fails a request. A handler's error is logged with the name
// of the plugin that added it. On close, handlers still running are waited for (the CLI's
// events reach their handlers before it exits).
import fp from 'fastify-plugin'
import { AUTH_EVENT_TYPES, type AuthEvent, type AuthEventHandler, type AuthEvents, type AuthEventType } from './event-types.js'

// How long a close waits for handlers still running.
const CLOSE_WAIT_MS = 5_000

interface Listener {
  handler: AuthEventHandler<AuthEventType>
  owner: string
}

export interface EventBus {
  on<T extends AuthEventType>(type: T, handler: AuthEventHandler<T>, owner?: string): void
  // Call after the change has committed; `at` is the commit's time.
  emit<T extends AuthEventType>(type: T, payload: AuthEvents[T], at: number): void
}

declare module 'fastify' {
  interface FastifyInstance {
    events: EventBus
  }
}

export default fp(
  async (fastify) => {
    const listeners = new Map<AuthEventType, Listener[]>()
    // Handlers still running, and the plugin each belongs to.
    const running = new Map<Promise<void>, string>()

    function deliver(listener: Listener, event: AuthEvent): void {
      const done = (async () => {
        try {
          await listener.handler(event)
        } catch (err) {
          fastify.log.error({ err, event: event.type, plugin: listener.owner }, 'an auth event handler failed')
        }
      })()
      running.set(done, listener.owner)
      void done.finally(() => running.delete(done))
    }

    const bus: EventBus = {
      on(type, handler, owner = 'unknown plugin') {
        if (!AUTH_EVENT_TYPES.includes(type)) throw new Error(`no auth event named "${String(type)}" (one of: ${AUTH_EVENT_TYPES.join(', ')})`)
        if (typeof handler !== 'function') throw new Error(`the handler of "${type}" must be a function`)
        const list = listeners.get(type) ?? []
        list.push({ handler: handler as AuthEventHandler<AuthEventType>, owner })
        listeners.set(type, list)
      },
      emit(type, payload, at) {
        const list = listeners.get(type)
        if (list === undefined) return
        const event = Object.freeze({ ...payload, type, at }) as AuthEvent
        setImmediate(() => {
          for (const listener of list) deliver(listener, event)
        })
      },
    }

    fastify.addHook('onClose', async () => {
      // An event emitted just before the close is still waiting for its turn.
      await new Promise((resolve) => setImmediate(resolve))
      if (running.size === 0) return
      // A hung handler (a webhook without a timeout) must not keep the process from exiting.
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)
      })
      const outcome = await Promise.race([Promise.all(running.keys()).then(() => 'done' as const), late])
      clearTimeout(timer)
      if (outcome === 'late') {
        const plugins = [...new Set(running.values())]
        fastify.log.warn({ plugins }, `closing with auth event handlers still running after ${CLOSE_WAIT_MS} ms`)
      }
    })
    fastify.decorate('events', bus)
  },
  { name: 'events' },
)
