// `npm run bench`: every benchmark in one run, printed as markdown tables.
import { runSdkBench, sdkTable } from './sdk.mjs';
import { runPeerBench, peerTable } from './sdk-peers.mjs';
import { runServerBench, serverTable } from './server.mjs';
import { runRoutingBench, routingTable } from './routing.mjs';
import { runClaimBench, claimTable } from './claim.mjs';
import { runPostgresBench, postgresTable } from './postgres.mjs';

const only = process.argv[2];
const started = new Date().toISOString();
console.log(`# Ferry benchmarks (${started}, node ${process.version})\n`);
if (!only || only === 'sdk') {
  console.log('## SDK (headless Chromium)\n');
  console.log(sdkTable(await runSdkBench()));
  console.log();
  console.log('### Beside other browser SDKs (headless Chromium, a fresh profile each)\n');
  const peers = await runPeerBench();
  console.log(peerTable(peers));
  console.log();
  // The bench fails only when something could not be measured.
  if (peers.unmeasured.length) process.exitCode = 1;
}
if (!only || only === 'server') {
  console.log('## Ingestion server (SQLite, synchronous=FULL, loopback)\n');
  console.log(serverTable(await runServerBench()));
  console.log();
}
if (!only || only === 'routing' || only === 'server') {
  console.log('## Routing\n');
  console.log(routingTable(await runRoutingBench()));
  console.log();
}
if (!only || only === 'claim' || only === 'server') {
  console.log('## Claim cost under a blocked user (SQLite store, in process)\n');
  console.log(claimTable(await runClaimBench()));
  console.log();
}
if (!only || only === 'postgres' || only === 'server') console.log(`## PostgreSQL: several processes\n\n${postgresTable(await runPostgresBench())}\n`);
