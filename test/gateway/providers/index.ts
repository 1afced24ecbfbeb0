import type { ProviderCase } from './cases.js';
import { stripeCases } from './stripe.cases.js';

/**
 * Every provider's cases, which test/gateway/providers.test.ts drives against one gateway. A
 * provider adds one line here (its `<provider>.cases.ts` beside this file).
 */
export const providerCases: readonly ProviderCase<unknown>[] = [...stripeCases];
