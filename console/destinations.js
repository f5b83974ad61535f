// Destinations: state and delivery counts (GET /admin/destinations), the verification summary
// of a time window (GET /admin/summary), pause and resume by hand.
import { ApiError, get, post, seg } from './api.js';
import { $, h, ms, note, num, pill, replace } from './dom.js';

function stateOf(d, s) {
  if (s && s.paused) return pill('bad', 'paused by hand');
  if (d.paused) return pill('bad', 'paused by the breaker' + (d.probeAt ? ', probe at ' + new Date(d.probeAt).toLocaleTimeString() : ''));
  if (d.counts.failed) return pill('warn', 'retrying');
  return pill('ok', 'flowing');
}

const stat = (label, value, key) => h('div', {}, h('dt', {}, label), h('dd', { dataset: { count: key } }, value));

function summaryBlock(s) {
  const reasons = Object.entries(s.aborted.byReason || {});
  const l = s.latencyMs || {};
  return [
    h('dl', { class: 'stats' },
      stat('received', num(s.received), 'received'),
      stat('first try', num(s.deliveredFirstTry), 'deliveredFirstTry'),
      stat('after retry', num(s.deliveredAfterRetry), 'deliveredAfterRetry'),
      stat('aborted', num(s.aborted.total), 'abortedTotal'),
      stat('latency p50 / p99', ms(l.p50) + ' / ' + ms(l.p99), 'latency')),
    reasons.length ? h('ul', { class: 'reasons' }, reasons.map(([r, n]) => h('li', {}, num(n) + ' × ' + r))) : null,
    s.breaker !== undefined && s.breaker !== null ? h('p', { class: 'muted' }, 'breaker: ' + (typeof s.breaker === 'string' ? s.breaker : JSON.stringify(s.breaker))) : null,
  ];
}

export function destinationsPanel({ onDestinations }) {
  const list = $('destinations');
  const msg = $('dest-note');

  async function act(name, verb) {
    try {
      const r = await post('/admin/destinations/' + seg(name) + '/' + verb, verb === 'pause' ? { reason: 'from the console' } : {});
      note(msg, name + (r.paused ? ' is paused' : ' is resumed'), 'ok');
    } catch (err) {
      note(msg, verb + ' ' + name + ': ' + err.message, err.notAvailable ? 'warn' : 'bad');
    }
    await refresh();
  }

  async function refresh() {
    const windowMs = Number($('window').value);
    const to = new Date();
    const from = new Date(to.getTime() - windowMs);
    const [dests, summary] = await Promise.allSettled([
      get('/admin/destinations'),
      get('/admin/summary?from=' + seg(from.toISOString()) + '&to=' + seg(to.toISOString())),
    ]);
    if (dests.status === 'rejected') {
      note(msg, 'destinations: ' + dests.reason.message, 'bad');
      return;
    }
    const byName = new Map();
    let summaryNote = '';
    if (summary.status === 'fulfilled') for (const s of summary.value.destinations) byName.set(s.destination, s);
    else summaryNote = summary.reason instanceof ApiError && summary.reason.notAvailable ? 'Summary: not available on this server.' : 'Summary: ' + summary.reason.message;
    note($('summary-note'), summaryNote, summaryNote ? 'warn' : '');
    list.dataset.summary = summary.status === 'fulfilled' ? 'yes' : 'no';
    replace(list, dests.value.destinations.map((d) => {
      const s = byName.get(d.name);
      const c = d.counts;
      return h('article', { class: 'dest', dataset: { destination: d.name } },
        h('header', {}, h('b', {}, d.name), ' ', h('span', { class: 'muted' }, d.type), ' ', stateOf(d, s)),
        h('dl', { class: 'stats' },
          ['pending', 'blocked', 'failed', 'succeeded', 'aborted'].map((k) => stat(k, num(c[k]), k))),
        s ? summaryBlock(s) : null,
        h('div', { class: 'actions' },
          s && s.paused
            ? h('button', { type: 'button', class: 'primary', onclick: () => act(d.name, 'resume') }, 'Resume')
            : h('button', { type: 'button', onclick: () => act(d.name, 'pause') }, 'Pause'),
          !s ? h('button', { type: 'button', onclick: () => act(d.name, 'resume') }, 'Resume') : null));
    }));
    onDestinations(dests.value.destinations.map((d) => d.name));
  }

  $('window').addEventListener('change', () => refresh());
  return { refresh };
}
