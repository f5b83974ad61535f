import { inFlightEchoSuite } from './erasure-in-flight-echo.js';

inFlightEchoSuite();
