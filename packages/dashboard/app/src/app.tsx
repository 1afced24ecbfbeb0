import { useCallback, useMemo, useState } from 'preact/hooks';
import { ApiClient, type Problem } from './api.js';
import { KeyPrompt } from './components/key-prompt.js';
import { Shell } from './components/shell.js';
import { CustomerPage } from './customer/customer-page.js';
import { Overview } from './overview/overview.js';
import { useRoute } from './route.js';
import { forgetKey, storedKey, storeKey } from './session.js';

/**
 * The dashboard: a key prompt until a read key is accepted, then the overview or a customer's
 * page. A key the API refuses later (rotated, revoked) brings the prompt back with the reason.
 */
export function App() {
  const [key, setKey] = useState(storedKey);
  const [refusal, setRefusal] = useState<string | undefined>();
  const route = useRoute();
  const client = useMemo(() => (key === null ? undefined : new ApiClient(key)), [key]);

  const signOut = useCallback((reason?: string) => {
    forgetKey();
    setKey(null);
    setRefusal(reason);
  }, []);
  const onProblem = useCallback(
    (problem: Problem) => {
      if (problem.kind === 'key_refused') signOut(problem.message);
    },
    [signOut],
  );

  if (client === undefined) {
    return (
      <KeyPrompt
        refusal={refusal}
        onAccepted={(accepted) => {
          storeKey(accepted);
          setRefusal(undefined);
          setKey(accepted);
        }}
      />
    );
  }
  return (
    <Shell onSignOut={() => signOut()}>
      {route.page === 'customer' ? (
        <CustomerPage key={route.id} client={client} id={route.id} onProblem={onProblem} />
      ) : (
        <Overview client={client} onProblem={onProblem} />
      )}
    </Shell>
  );
}
