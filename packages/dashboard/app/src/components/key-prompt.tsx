import { useState } from 'preact/hooks';
import { ApiClient, Problem } from '../api.js';

interface Props {
  /** Why the last key was refused, if one was. */
  readonly refusal: string | undefined;
  readonly onAccepted: (key: string) => void;
}

/**
 * Asks for a read key once per browser session and tries it on the API before keeping it, so a
 * wrong key is refused here, with the API's reason, rather than on every panel.
 */
export function KeyPrompt({ refusal, onAccepted }: Props) {
  const [key, setKey] = useState('');
  const [checking, setChecking] = useState(false);
  const [message, setMessage] = useState(refusal);

  const check = async () => {
    const candidate = key.trim();
    if (candidate === '') {
      setMessage(
        'Enter a read key: one of RAPPORT_READ_KEYS (dev-read-key on a local `rapport up`).',
      );
      return;
    }
    // A header carries printable ASCII only; the API's keys are made of it.
    if (!/^[\x21-\x7e]+$/.test(candidate)) {
      setMessage('An API key is printable ASCII without spaces: check what was pasted.');
      return;
    }
    setChecking(true);
    try {
      // The cheapest read there is: one customer of a list (an empty store answers it too).
      await new ApiClient(candidate).list({ limit: '1' });
      onAccepted(candidate);
    } catch (error) {
      setMessage(refusalMessage(error));
    } finally {
      setChecking(false);
    }
  };
  const submit = (event: Event) => {
    event.preventDefault();
    void check();
  };

  return (
    <main class="prompt">
      <form class="card prompt-card" onSubmit={submit} aria-labelledby="prompt-title">
        <h1 id="prompt-title">
          <span class="brand-mark" aria-hidden="true" /> Rapport
        </h1>
        <p>
          Enter a <strong>read key</strong> for the query API. It is kept for this browser tab only
          and sent in a header, never in the address.
        </p>
        <label for="read-key">Read key</label>
        <input
          id="read-key"
          name="read-key"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
          data-testid="key-input"
        />
        <button type="submit" disabled={checking} data-testid="key-submit">
          {checking ? 'Checking…' : 'Open the dashboard'}
        </button>
        {message !== undefined && (
          <p class="error" role="alert" data-testid="key-error">
            {message}
          </p>
        )}
        <p class="hint">
          On a local <code>pnpm rapport up</code> without configured keys the read key is{' '}
          <code>dev-read-key</code>.
        </p>
      </form>
    </main>
  );
}

function refusalMessage(error: unknown): string {
  if (!(error instanceof Problem)) return 'The key could not be checked. Try again.';
  switch (error.kind) {
    case 'key_refused':
      return `The API refused this key: ${error.message}. Use one of RAPPORT_READ_KEYS.`;
    case 'unreachable':
      return 'The query API did not answer. Is Rapport running (`pnpm rapport status`)?';
    default:
      return `The API could not check the key: ${error.message}`;
  }
}
