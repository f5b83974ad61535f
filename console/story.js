// An event's whole story by messageId (the event, its deliveries, every attempt), or a user's
// events to pick one from.
import { get, seg } from './api.js';
import { $, h, ms, note, replace, time } from './dom.js';

export function storyPanel() {
  const form = $('story-form');
  const out = $('story');
  const msg = $('story-note');

  function render(story) {
    const e = story.events[0];
    const ev = e.event;
    return [
      h('p', {}, h('b', { class: 'mono' }, e.messageId), ' · ', e.type, ev.event || ev.name ? ' "' + (ev.event || ev.name) + '"' : '', ' · source ', e.source, ' · user ', e.userKey, ' · received ', time(e.receivedAt)),
      h('details', {}, h('summary', {}, 'the stored event'), h('pre', {}, JSON.stringify(ev, null, 2))),
      story.deliveries.length ? null : h('p', { class: 'muted' }, 'No deliveries (no destination matched, or they were pruned after retention).'),
      story.deliveries.map((d) => h('div', { class: 'delivery', dataset: { destination: d.destination, state: d.state } },
        h('b', {}, d.destination), ': ', d.state, d.reason ? ' — ' + d.reason : '', ' (', d.attempts, d.attempts === 1 ? ' attempt)' : ' attempts)',
        story.attempts.filter((a) => a.deliveryId === d.id).map((a) => h('div', { class: 'attempt' },
          'attempt ', a.attempt, ' at ', time(a.at), ' → ', a.outcome, a.status ? ' (HTTP ' + a.status + ')' : '', a.error ? ' ' + a.error : '', ', ', ms(a.durationMs),
          a.response ? h('code', {}, a.response.slice(0, 300)) : null)))),
    ];
  }

  async function show(by, q) {
    form.by.value = by;
    form.q.value = q;
    note(msg, 'loading…');
    try {
      if (by === 'messageId') {
        replace(out, render(await get('/admin/events/' + seg(q))));
        note(msg, '');
      } else {
        const { events } = await get('/admin/events?user=' + seg(q) + '&order=desc&limit=100');
        note(msg, events.length ? events.length + (events.length === 100 ? '+' : '') + ' events of ' + q + ', newest first' : 'No stored events of ' + q + '.');
        replace(out, events.length ? h('ul', { class: 'events' }, events.map((e) => h('li', {},
          h('button', { type: 'button', class: 'link mid', onclick: () => show('messageId', e.messageId) }, e.messageId), ' ', e.type, ' ', e.event.event || e.event.name || '', ' · ', time(e.receivedAt)))) : '');
      }
      out.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      replace(out);
      note(msg, err.message, 'bad');
    }
  }

  form.addEventListener('submit', (ev) => { ev.preventDefault(); show(form.by.value, form.q.value.trim()); });
  return { show };
}
