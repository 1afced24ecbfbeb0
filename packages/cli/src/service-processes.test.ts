import { describe, expect, it } from 'vitest';
import { API_NODE_FLAGS, GATEWAY_NODE_FLAGS, serviceNodeFlags } from './service-processes.js';

describe('the Node flags `rapport up` gives each service', () => {
  it('collects garbage on its own thread in every service', () => {
    for (const service of ['gateway', 'projector', 'api', 'worker', 'bridge']) {
      expect(serviceNodeFlags(service)).toContain('--single-threaded-gc');
    }
  });

  it("gives the API its old generation's starting size, the gateway its young generation's", () => {
    expect(serviceNodeFlags('api')).toEqual(expect.arrayContaining([...API_NODE_FLAGS]));
    expect(serviceNodeFlags('gateway')).toEqual(expect.arrayContaining([...GATEWAY_NODE_FLAGS]));
    for (const service of ['projector', 'worker', 'bridge']) {
      expect(serviceNodeFlags(service)).toEqual(['--single-threaded-gc']);
    }
    expect(serviceNodeFlags('gateway')).not.toContain(API_NODE_FLAGS[0]);
    expect(serviceNodeFlags('api')).not.toContain(GATEWAY_NODE_FLAGS[0]);
  });
});
