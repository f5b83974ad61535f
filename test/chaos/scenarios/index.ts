import type { Scenario } from '../scenario.js';
import { browserKilledMidFlush } from './01-browser-killed-mid-flush.js';
import { ackLost } from './02-ack-lost.js';
import { serverKilledUnderLoad } from './03-server-killed-under-load.js';
import { longOffline } from './04-long-offline.js';
import { threeTabsFlapping } from './05-three-tabs-flapping.js';

export const SCENARIOS: Scenario[] = [browserKilledMidFlush, ackLost, serverKilledUnderLoad, longOffline, threeTabsFlapping];
