// Live calls: the list arrives over server-sent events (/api/v1/calls/stream) whenever it
// changes; durations tick locally every second.
import { api, logout, requireSession } from './api.js';
import { h } from './ui.js';

const session = await requireSession('admin');
document.getElementById('who').textContent = `${session.username} (administrator)`;
document.getElementById('logout').addEventListener('click', logout);

const table = document.getElementById('calls');
const count = document.getElementById('count');
const conn = document.getElementById('conn');
let calls = [];
let skew = 0; // server clock - local clock

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

function render() {
  const now = Date.now() + skew;
  count.textContent = `${calls.length} active call${calls.length === 1 ? '' : 's'}`;
  table.replaceChildren(
    h('thead', {}, h('tr', {}, ...['Call', 'Feature', 'State', 'Legs', 'Duration', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...calls.map((c) => h('tr', { 'data-call': c.id },
      h('td', {}, h('code', {}, c.id)),
      h('td', {}, c.feature),
      h('td', {}, c.state),
      h('td', {}, h('ul', {}, ...c.legs.map((l) => h('li', {}, h('strong', {}, `${l.leg}: `), `${l.from ?? '?'} → ${l.to ?? '?'} `, h('span', { class: 'muted' }, `(${l.state})`))))),
      h('td', { 'data-duration': '' }, c.connectedAt ? duration(now - c.connectedAt) : `ringing ${duration(now - c.startedAt)}`),
      h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Hang up call ${c.id}`, onclick: async () => {
        if (!confirm('Hang up this call?')) return;
        try { await api('DELETE', `/api/v1/calls/${encodeURIComponent(c.id)}`); } catch (e) { conn.textContent = e.message; }
      } }, 'Hang up'))))));
}

const es = new EventSource('/api/v1/calls/stream');
es.addEventListener('calls', (ev) => {
  const d = JSON.parse(ev.data);
  skew = d.now - Date.now();
  calls = d.calls;
  conn.textContent = '';
  render();
});
es.addEventListener('error', () => { conn.textContent = '(reconnecting…)'; });
setInterval(render, 1000);
