// @ts-check
// Reacting to auth events: one log line per login, logout and refresh-token reuse. Handlers
// run after the change has committed and after the answer is sent: a slow or failing handler
// never delays or fails a request (its error is logged with this plugin's name).
//
//   KEYTURN_PLUGINS=./examples/plugins/event-log.js npm start

/** @type {import('keyturn').KeyturnPlugin} */
export default async function eventLog(fastify) {
  const { events } = fastify.keyturn
  events.on('login', (e) => fastify.log.info({ userId: e.userId, sessionId: e.sessionId, ip: e.ip }, 'user logged in'))
  events.on('logout', (e) => fastify.log.info({ userId: e.userId, sessionId: e.sessionId, everywhere: e.everywhere }, 'user logged out'))
  events.on('reuse_detected', (e) => fastify.log.warn({ userId: e.userId, sessionId: e.sessionId }, 'a stolen refresh token was replayed'))
}
