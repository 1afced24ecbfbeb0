import type { Command } from '../command.js';
import { atRiskCommand } from './at-risk.js';
import { demoCommand } from './demo.js';
import { dlqCommand } from './dlq.js';
import { downCommand } from './down.js';
import { fetchCommand } from './fetch.js';
import { followupCommand } from './followup.js';
import { importCommand } from './import.js';
import { eraseCommand, exportCommand } from './privacy.js';
import { replayCommand } from './replay.js';
import { sendCommand } from './send.js';
import { showCommand } from './show.js';
import { statusCommand } from './status.js';
import { tailCommand } from './tail.js';
import { upCommand } from './up.js';
import { workflowCommand } from './workflow.js';

/** Every `rapport` command, in the order the overview lists them. */
export const COMMANDS: readonly Command[] = [
  upCommand,
  downCommand,
  statusCommand,
  fetchCommand,
  importCommand,
  sendCommand,
  dlqCommand,
  showCommand,
  atRiskCommand,
  tailCommand,
  demoCommand,
  replayCommand,
  workflowCommand,
  followupCommand,
  eraseCommand,
  exportCommand,
];
