import type { ComponentChildren } from 'preact';

interface Props {
  readonly onSignOut: () => void;
  readonly children: ComponentChildren;
}

/** The frame around every page: the name, the way home, and forgetting the key. */
export function Shell({ onSignOut, children }: Props) {
  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" /> Rapport
        </a>
        <nav>
          <a href="#/">Overview</a>
          <button type="button" class="link" onClick={onSignOut} data-testid="sign-out">
            Forget key
          </button>
        </nav>
      </header>
      <main class="page">{children}</main>
    </>
  );
}
