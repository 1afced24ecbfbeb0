import type { Asset } from '@rapport/dashboard';
import { ApiError } from '@rapport/lifecycle';
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';

/** Where the dashboard is served: the query API's own origin, so the page needs no CORS. */
export const DASHBOARD_PATH = '/dashboard/';

/**
 * The page may load only what this server serves and talk only to it: everything is bundled at
 * build time (no CDN), nothing inline, and it cannot be framed (the key prompt must not be
 * clickjacked). Styles set from script (uPlot, preact) go through the CSSOM, which CSP allows.
 */
const SECURITY_HEADERS = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  // Revalidated every time (cheap: an ETag), so a rebuilt dashboard is never stale in a browser.
  'cache-control': 'no-cache',
} as const;

const notBuilt = () =>
  new ApiError(
    503,
    'DASHBOARD_NOT_BUILT',
    'the dashboard was not built: run `pnpm --filter @rapport/dashboard build` (infra/setup.sh does) and restart the API',
  );

const noSuchAsset = (name: string) =>
  new ApiError(404, 'NOT_FOUND', `the dashboard has no file ${JSON.stringify(name)}`);

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  void reply.header('etag', asset.etag);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}

/**
 * The dashboard's static files (public: the page itself holds no data; every figure on it is read
 * with the read key the person enters). Files come from the set built at start, by name, so no
 * request path reaches the file system.
 */
export const dashboardRoutes =
  (assets: ReadonlyMap<string, Asset> | undefined): FastifyPluginCallback =>
  (app, _options, done) => {
    const open = { config: { access: 'public' } } as const;
    // On every answer of these routes, the refusals (404, 503) included: this plugin's scope only.
    app.addHook('onSend', (_request, reply, payload, done) => {
      void reply.headers(SECURITY_HEADERS);
      done(null, payload);
    });
    const asset = (name: string) => {
      if (assets === undefined) throw notBuilt();
      const found = assets.get(name);
      if (found === undefined) throw noSuchAsset(name);
      return found;
    };
    app.get('/', open, (_request, reply) => reply.redirect(DASHBOARD_PATH));
    app.get('/dashboard', open, (_request, reply) => reply.redirect(DASHBOARD_PATH, 301));
    app.get(DASHBOARD_PATH, open, (request, reply) => send(request, reply, asset('index.html')));
    app.get<{ Params: { file: string } }>(`${DASHBOARD_PATH}:file`, open, (request, reply) =>
      send(request, reply, asset(request.params.file)),
    );
    done();
  };
