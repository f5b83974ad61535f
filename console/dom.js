// Building the page from data. Everything shown comes from events that anybody holding a write
// key can write, so nothing is ever parsed as HTML: text goes in text nodes only.

/** h('td', { class: 'num' }, 'text', child, [more]): attributes, `on…` handlers, children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export const $ = (id) => document.getElementById(id);
export const replace = (el, ...children) => { el.replaceChildren(); append(el, children); };
export const pill = (kind, label) => h('span', { class: 'pill ' + kind }, label);
export const time = (ms) => (ms === null || ms === undefined ? '–' : new Date(ms).toLocaleString());
export const num = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString());
export const ms = (n) => (n === null || n === undefined ? '–' : n < 1000 ? Math.round(n) + ' ms' : (n / 1000).toFixed(1) + ' s');

/** Writes a status line under a panel: `kind` is ok, warn or bad; an ApiError's message as is. */
export function note(el, text, kind) {
  el.textContent = text || '';
  el.className = 'note' + (kind ? ' ' + kind : '');
}
