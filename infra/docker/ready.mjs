/* global process, fetch, AbortSignal */
// Container healthcheck of a Rapport service: exits 0 when its /readyz on the given port answers 2xx.
const port = process.argv[2];
fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  () => process.exit(1),
);
