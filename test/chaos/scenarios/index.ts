import type { Scenario } from '../scenario.js';
import { browserKilledMidFlush } from './01-browser-killed-mid-flush.js';
import { ackLost } from './02-ack-lost.js';
import { serverKilledUnderLoad } from './03-server-killed-under-load.js';
import { longOffline } from './04-long-offline.js';
import { threeTabsFlapping } from './05-three-tabs-flapping.js';
import { tabClosedAfterTracking } from './06-tab-closed-after-tracking.js';
import { storageTrouble } from './07-storage-trouble.js';
import { destinationFlapping } from './08-destination-flapping.js';
import { clockSkew } from './09-clock-skew.js';
import { hostileTraffic } from './10-hostile-traffic.js';
import { diskTrouble } from './11-disk-trouble.js';

export const SCENARIOS: Scenario[] = [
  browserKilledMidFlush,
  ackLost,
  serverKilledUnderLoad,
  longOffline,
  threeTabsFlapping,
  tabClosedAfterTracking,
  storageTrouble,
  destinationFlapping,
  clockSkew,
  hostileTraffic,
  diskTrouble,
];
