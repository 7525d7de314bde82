// Operation ids, the names client generators give the API's functions. Keyturn's own routes
// set theirs explicitly (they are part of the client contract); an endpoint served at several
// URLs (SimpleJWT's paths and those of the services Keyturn replaces) gets one per URL here.
// A route without one (a plugin's) is given a name derived from its method and URL, so that it
// still has a usable, unique operation in the document.

function pascal(words: string[]): string {
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('')
}

// '/users/auth/me/' -> 'UsersAuthMe'; a parameter ':id' or '{id}' -> 'ById'.
function urlWords(url: string): string {
  const words = url
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^[:{]/.test(segment) ? `by-${segment.replace(/[:{}]/g, '')}` : segment))
  return pascal(words.flatMap((segment) => segment.split(/[^A-Za-z0-9]+/).filter((w) => w !== '')))
}

// What a route without an operationId is called: GET /api/whoami/ -> getApiWhoami.
export function fallbackOperationId(method: string, url: string): string {
  return `${method.toLowerCase()}${urlWords(url)}`
}

interface OperationSchema {
  operationId: string
  description?: string
}

// One schema per URL of an endpoint: the first URL is the canonical operation, each other one
// its alias, with the same request and response schemas (so the same components), an id of
// its own (`obtainTokenPair` at /token/, `obtainTokenPairViaAuthToken` at /auth/token/) and a
// description that says so. `prefix` is the routes' prefix, for the canonical URL's text.
export function withAliases<S extends OperationSchema>(
  method: string,
  prefix: string,
  urls: readonly string[],
  schema: S,
): [url: string, schema: S][] {
  const canonical = `${method.toUpperCase()} ${prefix}${urls[0] ?? ''}`
  return urls.map((url, i) => {
    if (i === 0) return [url, schema]
    const note = `Alias of \`${canonical}\`.`
    return [
      url,
      {
        ...schema,
        operationId: `${schema.operationId}Via${urlWords(url)}`,
        description: schema.description === undefined ? note : `${note} ${schema.description}`,
      },
    ]
  })
}
