/** The empty state: what to do to see something here. */
export function NoCustomersYet() {
  const example = `curl -s http://127.0.0.1:8080/v1/interactions \\
  -H 'authorization: Bearer <write key>' -H 'content-type: application/json' \\
  -d '{"eventId":"e-1","customerId":"c-42","channel":"support","type":"support.ticket_opened",
       "direction":"inbound","occurredAt":"${new Date().toISOString()}","expectsResponse":true}'`;
  return (
    <div class="card empty" data-testid="empty">
      <h2>No events yet</h2>
      <p>
        Rapport shows a customer as soon as the first event about them is projected. Send one to the
        gateway (port 8080 on a local <code>rapport up</code>, the write key is{' '}
        <code>dev-write-key</code> there):
      </p>
      <pre>{example}</pre>
      <p>
        Or fill the dashboard with a simulated population: <code>pnpm rapport demo</code> (or start
        with <code>pnpm rapport up --demo</code>). This page updates by itself as events arrive.
      </p>
    </div>
  );
}
