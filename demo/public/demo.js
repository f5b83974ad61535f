// The demo page's own logic: sends events through window.ferry, shows the SDK's state and the
// server's (from the demo API), and flips the demo's switches.
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var counts = { delivered: 0, dropped: 0 };
  var logLines = [];

  function text(id, value) { var el = $(id); if (el && el.textContent !== String(value)) el.textContent = String(value); }
  function log(line) {
    logLines.unshift(new Date().toLocaleTimeString() + '  ' + line);
    logLines.length = Math.min(logLines.length, 40);
    var ul = $('b-log');
    ul.innerHTML = '';
    logLines.forEach(function (l) { var li = document.createElement('li'); li.textContent = l; ul.appendChild(li); });
  }
  function pill(kind, label) { return '<span class="pill ' + kind + '">' + label + '</span>'; }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }
  function ago(ms) { var s = Math.round(ms / 1000); return s <= 0 ? 'now' : 'in ' + s + ' s'; }

  ferry.on('delivered', function (d) { counts.delivered += d.count; text('b-delivered', counts.delivered); log('delivered ' + d.count); });
  ferry.on('dropped', function (d) { counts.dropped += d.count; text('b-dropped', counts.dropped); log('dropped ' + d.count + ' (' + d.reason + (d.detail ? ': ' + d.detail : '') + ')'); });
  ferry.on('error', function (e) { log('error ' + e.code + ': ' + e.message); });
  ferry.on('backoff', function (b) { if (b.attempt) log('backing off: attempt ' + b.attempt + ', HTTP ' + b.status); });
  ferry.on('storage-fallback', function (f) { log('storage fell back to ' + f.to + ' (' + f.reason + ')'); });

  $('send').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = ev.target;
    var type = f.type.value, name = f.name.value.trim();
    var props = {};
    try { props = f.props.value.trim() ? JSON.parse(f.props.value) : {}; } catch (e) { log('properties are not JSON: ' + e.message); return; }
    if (type === 'track') ferry.track(name || 'Button Clicked', props);
    else if (type === 'page') ferry.page(name || undefined, props);
    else if (type === 'screen') ferry.screen(name || 'Home', props);
    else if (type === 'identify') ferry.identify(name || undefined, props);
    else if (type === 'group') ferry.group(name || 'acme', props);
    else if (type === 'alias') ferry.alias(name || 'new-user-id');
    log(type + '(' + JSON.stringify(name) + ')');
  });
  $('burst').addEventListener('click', function () {
    var t0 = performance.now();
    for (var i = 0; i < 1000; i++) ferry.track('Burst Event', { i: i });
    log('burst: 1,000 track() calls in ' + (performance.now() - t0).toFixed(1) + ' ms');
  });
  $('poison').addEventListener('click', function () { ferry.track('Poison Pill', { note: 'the CRM answers 400 for this one' }); log('track("Poison Pill")'); });
  $('flush').addEventListener('click', function () { ferry.flush().then(function (r) { log('flush(): ' + JSON.stringify(r)); }); });

  function post(body) {
    return fetch('/demo/api/switch', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(body) }).then(function (r) { return r.json(); }).then(refreshServer);
  }
  $('sw-collector').addEventListener('click', function () { post({ collectorDown: this.getAttribute('aria-pressed') !== 'true' }); });
  document.querySelectorAll('[data-webhook]').forEach(function (b) { b.addEventListener('click', function () { post({ webhook: b.dataset.webhook }); }); });
  document.querySelectorAll('[data-memory]').forEach(function (b) { b.addEventListener('click', function () { post({ memory: b.dataset.memory }); }); });

  function refreshBrowser() {
    if (typeof ferry.state !== 'function') return Promise.resolve();
    return ferry.state().then(function (s) {
      text('b-queued', s.queued + s.buffered);
      text('b-inflight', s.inFlight);
      $('b-online').innerHTML = s.online ? pill('ok', 'online') : pill('bad', 'offline');
      text('b-storage', s.storage + ' (lock: ' + s.lock + ')');
      $('b-flusher').innerHTML = s.flushing ? pill('ok', 'this tab is sending') : s.anyTabFlushing ? pill('warn', 'another tab is sending') : pill('ok', 'idle');
      var b = s.backoff;
      $('b-backoff').innerHTML = b.attempt ? pill('warn', 'attempt ' + b.attempt + ' failed (HTTP ' + b.status + '), next ' + ago(b.nextAttemptAt - Date.now())) : pill('ok', 'none');
      var u = ferry.user();
      text('b-anon', u.anonymousId);
      text('b-user', u.userId || '–');
    });
  }

  function refreshServer() {
    return fetch('/demo/api/state').then(function (r) { return r.json(); }).then(function (st) {
      text('s-accepted', st.received.accepted);
      text('s-duplicates', st.received.duplicates);
      text('s-rejected', st.received.rejected);
      $('s-collector').innerHTML = st.collectorDown ? pill('bad', '503') : pill('ok', 'up');
      $('sw-collector').setAttribute('aria-pressed', String(st.switches.collectorDown));
      $('sw-webhook-fail').setAttribute('aria-pressed', String(st.switches.webhook === 'fail'));
      $('sw-webhook-slow').setAttribute('aria-pressed', String(st.switches.webhook === 'slow'));
      $('sw-memory-fail').setAttribute('aria-pressed', String(st.switches.memory === 'fail'));
      $('s-destinations').tBodies[0].innerHTML = st.destinations.map(function (d) {
        var c = d.counts;
        var status = d.paused ? pill('bad', 'paused by an operator') : d.breaker !== 'closed' ? pill('bad', 'breaker open, probe ' + ago(d.probeAt - st.now)) : c.failed ? pill('warn', 'retrying') : pill('ok', 'flowing');
        return '<tr data-destination="' + esc(d.name) + '"><td>' + esc(d.name) + ' <span class="muted">' + esc(d.type) + '</span></td><td>' + status + '</td>' +
          ['pending', 'blocked', 'failed', 'succeeded', 'aborted'].map(function (k) { return '<td class="num" data-count="' + k + '">' + c[k] + '</td>'; }).join('') + '</tr>';
      }).join('');
      var retries = st.nextRetries.slice(0, 3).map(function (r) { return esc(r.destination) + ': ' + esc(r.messageId.slice(0, 8)) + '… attempt ' + r.attempts + ' (HTTP ' + (r.lastStatus || '–') + '), retry ' + ago(r.nextAt - st.now); });
      $('s-retries').textContent = retries.length ? 'next retries: ' + retries.join(' · ') : '';
      $('s-recent').tBodies[0].innerHTML = st.recent.map(function (e) {
        return '<tr><td>' + e.seq + '</td><td>' + esc(e.type) + '</td><td>' + esc(e.name) + '</td><td><a class="mid" data-mid="' + esc(e.messageId) + '">' + esc(e.messageId) + '</a></td></tr>';
      }).join('');
    }).catch(function () { text('s-collector', 'unreachable'); });
  }

  $('s-recent').addEventListener('click', function (ev) {
    var id = ev.target && ev.target.dataset && ev.target.dataset.mid;
    if (!id) return;
    fetch('/demo/api/events/' + encodeURIComponent(id)).then(function (r) { return r.json(); }).then(function (story) {
      var e = story.events[0] || {};
      var html = '<p><b>' + esc(id) + '</b> · ' + esc(e.type) + ' · received ' + new Date(e.receivedAt).toLocaleTimeString() + '</p>';
      html += story.deliveries.map(function (d) {
        var attempts = story.attempts.filter(function (a) { return a.deliveryId === d.id; });
        return '<div><b>' + esc(d.destination) + '</b>: ' + esc(d.state) + (d.reason ? ' — ' + esc(d.reason) : '') +
          attempts.map(function (a) { return '<div class="attempt">attempt ' + a.attempt + ' at ' + new Date(a.at).toLocaleTimeString() + ' → ' + esc(a.outcome) + (a.status ? ' (HTTP ' + a.status + ')' : '') + (a.error ? ' ' + esc(a.error) : '') + ', ' + a.durationMs + ' ms' + (a.response ? '<br><code>' + esc(a.response.slice(0, 200)) + '</code>' : '') + '</div>'; }).join('') + '</div>';
      }).join('');
      $('timeline').innerHTML = html;
    });
  });

  function tick() { Promise.all([refreshBrowser(), refreshServer()]).finally(function () { setTimeout(tick, 700); }); }
  tick();
})();
