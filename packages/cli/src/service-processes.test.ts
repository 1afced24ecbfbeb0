import { describe, expect, it } from 'vitest';
import { API_NODE_FLAGS, serviceNodeFlags } from './service-processes.js';

describe('the Node flags `rapport up` gives each service', () => {
  it('collects garbage on its own thread in every service', () => {
    for (const service of ['gateway', 'projector', 'api', 'worker', 'bridge']) {
      expect(serviceNodeFlags(service)).toContain('--single-threaded-gc');
    }
  });

  it("gives the API its old generation's starting size too", () => {
    expect(serviceNodeFlags('api')).toEqual(expect.arrayContaining([...API_NODE_FLAGS]));
    expect(serviceNodeFlags('gateway')).not.toContain(API_NODE_FLAGS[0]);
  });
});
