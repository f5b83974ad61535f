// Erasure of a user (DELETE /admin/users/:userKey), confirmed by typing the user again, and the
// audit log (GET /admin/erasures).
import { del, get, seg } from './api.js';
import { $, h, note, replace, time } from './dom.js';

export function erasuresPanel() {
  const form = $('erase-form');
  const confirm = $('erase-confirm');
  const again = $('erase-again');
  const go = $('erase-go');
  const msg = $('erase-note');
  const body = $('erasures').tBodies[0];
  let pending = null;

  async function refresh() {
    let erasures;
    try {
      ({ erasures } = await get('/admin/erasures?limit=50'));
    } catch (err) {
      note(msg, 'audit log: ' + err.message, 'bad');
      return;
    }
    const cells = (r) => [r.identities, r.events, r.deliveries, r.attempts, r.links, r.archiveLines ?? '–'].map((n) => h('td', { class: 'num' }, n));
    replace(body, erasures.length ? erasures.map((r) => h('tr', { dataset: { erasure: String(r.id), user: r.userKey } },
      h('td', {}, r.id), h('td', {}, time(Date.parse(r.at))), h('td', {}, r.userKey), h('td', {}, r.by + (r.address ? ' ' + r.address : '')), h('td', {}, r.suppress ? 'yes' : 'no'),
      cells(r), h('td', {}, r.completedAt ? time(Date.parse(r.completedAt)) : 'archives pending'))) : h('tr', {}, h('td', { colspan: 12, class: 'muted' }, 'No erasures yet.')));
  }

  function close() {
    pending = null;
    confirm.hidden = true;
    again.value = '';
    go.disabled = true;
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    pending = { user: form.user.value.trim(), suppress: form.suppress.checked };
    if (!pending.user) return;
    $('erase-who').textContent = pending.user + (pending.suppress ? ' (and refuse their future events)' : '');
    note(msg, '');
    confirm.hidden = false;
    again.focus();
  });
  again.addEventListener('input', () => { go.disabled = !pending || again.value.trim() !== pending.user; });
  $('erase-cancel').addEventListener('click', close);
  go.addEventListener('click', async () => {
    if (!pending || again.value.trim() !== pending.user) return;
    const { user, suppress } = pending;
    close();
    try {
      const r = await del('/admin/users/' + seg(user) + (suppress ? '?suppress=true' : ''));
      note(msg, 'Erased ' + user + ': ' + r.events + ' events, ' + r.deliveries + ' deliveries, ' + r.attempts + ' attempts, ' + r.identities + ' ids, ' + r.archiveLines + ' archive lines (erasure #' + r.erasureId + ').', 'ok');
      form.reset();
    } catch (err) {
      note(msg, 'erase ' + user + ': ' + err.message, 'bad');
    }
    await refresh();
  });
  return { refresh };
}
