// Tracking-plan violations per source and event name (GET /admin/violations).
import { get } from './api.js';
import { $, h, note, num, replace, time } from './dom.js';

export function violationsPanel() {
  const body = $('violations').tBodies[0];
  const msg = $('viol-note');

  async function refresh() {
    let violations;
    try {
      ({ violations } = await get('/admin/violations'));
    } catch (err) {
      replace(body);
      note(msg, 'Violations: ' + err.message + (err.notAvailable ? '.' : ''), err.notAvailable ? 'warn' : 'bad');
      return;
    }
    note(msg, violations.length ? '' : 'No violations.');
    const at = (v) => (typeof v === 'number' ? v : Date.parse(v));
    replace(body, violations.map((v) => h('tr', { dataset: { source: v.source, event: v.event } },
      h('td', {}, v.source), h('td', {}, v.event), h('td', { class: 'num' }, num(v.count)), h('td', {}, time(at(v.lastAt))), h('td', { class: 'wrap' }, v.lastMessage || ''))));
  }
  return { refresh };
}
