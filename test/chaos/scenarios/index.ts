import type { Scenario } from '../scenario.js';
import { browserKilledMidFlush } from './01-browser-killed-mid-flush.js';

export const SCENARIOS: Scenario[] = [browserKilledMidFlush];
