// The operator console: panels over the admin API of the listener that served this page.
import { get, on, token } from './api.js';
import { $, note } from './dom.js';
import { deliveriesPanel } from './deliveries.js';
import { destinationsPanel } from './destinations.js';
import { erasuresPanel } from './erasures.js';
import { storyPanel } from './story.js';
import { violationsPanel } from './violations.js';

const REFRESH_MS = 5000;

const story = storyPanel();
// The destinations' counts change with every retry or abort.
const deliveries = deliveriesPanel({ showStory: story.show, onChange: () => destinations.refresh() });
const destinations = destinationsPanel({ onDestinations: deliveries.destinations });
const violations = violationsPanel();
const erasures = erasuresPanel();

const conn = $('conn');
const tokenForm = $('token-form');
const forget = $('forget-token');
let authorized = false;

function showTokenForm(why) {
  authorized = false;
  tokenForm.hidden = false;
  forget.hidden = true;
  note(conn, why, 'warn');
}

on('unauthorized', () => showTokenForm(token.get() ? 'The token was refused.' : 'This server needs its admin token.'));
on('reachable', (ok) => {
  if (!ok) note(conn, 'Cannot reach the server.', 'bad');
  else if (authorized) note(conn, 'connected to ' + location.host, 'ok');
});

async function refreshAll() {
  await Promise.all([destinations.refresh(), deliveries.refresh(), violations.refresh(), erasures.refresh()]);
}

/** Checks access with one cheap call; shows the token form on a 401. */
async function connect() {
  try {
    await get('/admin/erasures?limit=1');
  } catch (err) {
    if (err.status !== 401) note(conn, err.message, 'bad');
    return;
  }
  authorized = true;
  tokenForm.hidden = true;
  forget.hidden = !token.get();
  note(conn, 'connected to ' + location.host, 'ok');
  await refreshAll();
}

tokenForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  token.set(tokenForm.token.value.trim());
  tokenForm.reset();
  connect();
});
forget.addEventListener('click', () => { token.clear(); showTokenForm('Token forgotten.'); });
$('refresh').addEventListener('click', () => (authorized ? refreshAll() : connect()));

// Only the state panels refresh on their own; a story or a typed form is left alone.
async function tick() {
  if (authorized && document.visibilityState === 'visible') await Promise.all([destinations.refresh(), deliveries.refresh()]).catch(() => {});
  setTimeout(tick, REFRESH_MS);
}
connect().finally(() => setTimeout(tick, REFRESH_MS));
