import { object } from 'zod';

/**
 * Loaded once per worker thread, before any workflow, and shared by all of them (the bundle's
 * `preloadModules`): zod's own modules then load once, not once per workflow. The SDK freezes
 * what it shares, and zod sets a few of its globals on first use (the default locale, the parse
 * memoizer, whether it may compile parsers): building one object schema here sets them all
 * before the freeze. The workflows' own schemas stay per workflow: zod writes into a schema on
 * its first use, which a frozen one refuses.
 */
object({});
