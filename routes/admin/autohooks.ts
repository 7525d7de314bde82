// Everything under /admin is the console: cookies, CSRF, templates, its own headers and error
// pages, and a signed-in staff user (but for the routes marked consolePublic).
import { consoleContext } from '../../plugins/console/console-context.js'

export default consoleContext
