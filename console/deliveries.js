// Deliveries by state: failed and aborted ones with one-click retry and abort.
import { get, post } from './api.js';
import { $, h, note, replace, time } from './dom.js';

export function deliveriesPanel({ showStory, onChange }) {
  const form = $('del-filter');
  const body = $('deliveries').tBodies[0];
  const msg = $('del-note');
  let shown = [];

  async function act(what, d) {
    try {
      if (what === 'retry') {
        const r = await post('/admin/deliveries/retry', { ids: [d.id], includeAborted: d.state === 'aborted' });
        note(msg, r.retried ? 'delivery ' + d.id + ' is due now' : 'delivery ' + d.id + ' was not retried (it is ' + d.state + ' no more?)', r.retried ? 'ok' : 'warn');
      } else {
        const r = await post('/admin/deliveries/abort', { ids: [d.id], reason: 'from the console' });
        note(msg, r.aborted ? 'delivery ' + d.id + ' is aborted' : 'delivery ' + d.id + ' was not aborted (already done?)', r.aborted ? 'ok' : 'warn');
      }
    } catch (err) {
      note(msg, what + ' ' + d.id + ': ' + err.message, 'bad');
    }
    await Promise.all([refresh(), onChange()]);
  }

  function row(d) {
    const last = d.reason || [d.lastStatus ? 'HTTP ' + d.lastStatus : null, d.lastError].filter(Boolean).join(' ') || '–';
    const canRetry = d.state === 'failed' || d.state === 'aborted';
    const canAbort = d.state === 'failed' || d.state === 'pending';
    return h('tr', { dataset: { delivery: String(d.id), state: d.state } },
      h('td', {}, d.id),
      h('td', {}, d.destination),
      h('td', {}, h('button', { type: 'button', class: 'link mid', onclick: () => showStory('messageId', d.messageId) }, d.messageId)),
      h('td', {}, d.userKey),
      h('td', {}, d.state),
      h('td', { class: 'num' }, d.attempts),
      h('td', { class: 'wrap' }, last),
      h('td', {}, time(d.updatedAt)),
      h('td', { class: 'actions' },
        canRetry ? h('button', { type: 'button', class: 'primary', 'data-act': 'retry', onclick: () => act('retry', d) }, 'Retry') : null,
        canAbort ? h('button', { type: 'button', class: 'danger', 'data-act': 'abort', onclick: () => act('abort', d) }, 'Abort') : null));
  }

  async function refresh() {
    const q = new URLSearchParams({ state: form.state.value, limit: '200' });
    if (form.destination.value) q.set('destination', form.destination.value);
    if (form.user.value.trim()) q.set('user', form.user.value.trim());
    try {
      shown = (await get('/admin/deliveries?' + q)).deliveries;
    } catch (err) {
      note(msg, 'deliveries: ' + err.message, 'bad');
      return;
    }
    replace(body, shown.length ? shown.map(row) : h('tr', {}, h('td', { colspan: 9, class: 'muted' }, 'No ' + form.state.value + ' deliveries.')));
    $('retry-all').disabled = !shown.some((d) => d.state === 'failed' || d.state === 'aborted');
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); note(msg, ''); refresh(); });
  form.state.addEventListener('change', () => { note(msg, ''); refresh(); });
  form.destination.addEventListener('change', () => { note(msg, ''); refresh(); });
  $('retry-all').addEventListener('click', async () => {
    const ids = shown.filter((d) => d.state === 'failed' || d.state === 'aborted').map((d) => d.id);
    try {
      const r = await post('/admin/deliveries/retry', { ids, includeAborted: form.state.value === 'aborted' });
      note(msg, r.retried + ' deliveries are due now', 'ok');
    } catch (err) {
      note(msg, 'retry: ' + err.message, 'bad');
    }
    await Promise.all([refresh(), onChange()]);
  });

  return {
    refresh,
    /** Keeps the destination choice in step with the server's list. */
    destinations(names) {
      const select = form.destination;
      const have = [...select.options].slice(1).map((o) => o.value);
      if (have.join('\n') === names.join('\n')) return;
      const chosen = select.value;
      replace(select, h('option', { value: '' }, 'every destination'), names.map((n) => h('option', { value: n }, n)));
      select.value = names.includes(chosen) ? chosen : '';
    },
  };
}
