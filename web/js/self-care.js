// Self-care: SNR on/off per destination (SNR-10) or for all, add/edit remote destinations with
// the per-destination timers, access lists and ring schedules of my own, PIN and password change.
import { api, logout, requireSession } from './api.js';
import { buildForm, h, setStatus } from './ui.js';

const session = await requireSession('user');
document.getElementById('who').textContent = session.username;
document.getElementById('logout').addEventListener('click', logout);

const snrStatus = document.getElementById('snr-status');
const table = document.getElementById('rds');
let me;
let editing = null;

const policyOptions = [{ value: 'useSystemDefault', label: 'system default' }, { value: 'timerControl', label: 'timers only' }, { value: 'userControl', label: 'press a key to accept' }];
const rdForm = buildForm([
  { name: 'name', label: 'Name', placeholder: 'My mobile' },
  { name: 'number', label: 'Number', required: true, placeholder: '+14085557890', help: 'as the carrier delivers it, e.g. +E.164' },
  { name: 'enableSnr', label: 'Ring this destination for calls to my desk number', type: 'checkbox' },
  { name: 'mobilePhone', label: 'This is my mobile (send calls to it)', type: 'checkbox' },
  { name: 'delayBeforeRingingMs', label: 'Delay before ringing (ms)', type: 'number', min: 0, max: 60000, help: '0 to 60000' },
  { name: 'answerTooSoonMs', label: 'Answer too soon (ms)', type: 'number', min: 0, max: 60000, help: 'an answer sooner than this is treated as mobile voicemail; 0 = off' },
  { name: 'answerTooLateMs', label: 'Answer too late (ms)', type: 'number', min: 0, max: 60000, help: 'stop ringing after this; 0 = off' },
  { name: 'snrVoicemailPolicy', label: 'Voicemail avoidance', type: 'select', required: true, options: async () => policyOptions },
  { name: 'ringSchedule', label: 'Ring schedule', type: 'select', emptyLabel: 'all the time', nullable: true, options: async () => me.ringSchedules.map((s) => ({ value: s.id, label: s.name })) },
  { name: 'access', label: 'Who may ring it', type: 'select', required: true, options: async () => [{ value: 'always', label: 'everybody' }, ...me.accessLists.map((l) => ({ value: `${l.type}:${l.id}`, label: `${l.type === 'allowed' ? 'only callers in' : 'nobody in'} “${l.name}”` }))] },
], {
  legend: 'Add a remote destination', submitLabel: 'Save destination',
  onCancel: () => resetRdForm(),
  onSubmit: async (f) => {
    const { access, ...v } = f.values(editing !== null);
    const [type, ...rest] = access.split(':');
    v.accessPolicy = type === 'always' ? 'always' : type === 'allowed' ? { allowedList: rest.join(':') } : { blockedList: rest.join(':') };
    if (editing) await api('PATCH', `/api/v1/me/remote-destinations/${encodeURIComponent(editing.id)}`, v);
    else await api('POST', '/api/v1/me/remote-destinations', v);
    setStatus(f.status, editing ? 'Destination updated.' : 'Destination added.', 'ok');
    resetRdForm();
    await load();
  },
});
document.getElementById('rd-form-wrap').append(h('h2', { id: 'rd-form-h' }, 'Remote destinations'), rdForm.form);
const rdLegend = rdForm.form.querySelector('h3');

function resetRdForm() {
  editing = null;
  rdLegend.textContent = 'Add a remote destination';
  rdForm.form.reset();
  const d = me?.defaults ?? {};
  rdForm.set('enableSnr', true);
  rdForm.set('delayBeforeRingingMs', d.delayBeforeRingingMs ?? 4000);
  rdForm.set('answerTooSoonMs', d.answerTooSoonMs ?? 1500);
  rdForm.set('answerTooLateMs', d.answerTooLateMs ?? 19000);
  rdForm.set('snrVoicemailPolicy', d.snrVoicemailPolicy ?? 'useSystemDefault');
  rdForm.set('access', 'always');
  rdForm.controls.number.disabled = false;
}

function editRd(rd) {
  editing = rd;
  rdLegend.textContent = `Edit ${rd.name || rd.number}`;
  for (const k of ['name', 'number', 'enableSnr', 'mobilePhone', 'delayBeforeRingingMs', 'answerTooSoonMs', 'answerTooLateMs', 'snrVoicemailPolicy', 'ringSchedule']) rdForm.set(k, rd[k]);
  const ap = rd.accessPolicy;
  rdForm.set('access', ap === 'always' ? 'always' : 'allowedList' in ap ? `allowed:${ap.allowedList}` : `blocked:${ap.blockedList}`);
  rdForm.controls.number.disabled = rd.isMobilityIdentity;
  rdForm.clearErrors();
  rdForm.controls.name.focus();
}

function renderRds() {
  const rows = me.remoteDestinations.map((rd) => {
    const id = `snr-${rd.id}`;
    const box = h('input', { type: 'checkbox', id, role: 'switch', checked: rd.enableSnr, 'aria-describedby': `${id}-state` });
    const state = h('span', { id: `${id}-state`, class: `badge ${rd.enableSnr ? 'on' : 'off'}` }, rd.enableSnr ? 'on' : 'off');
    box.addEventListener('change', async () => {
      box.disabled = true;
      try {
        await api('PUT', `/api/v1/me/remote-destinations/${encodeURIComponent(rd.id)}/snr`, { enabled: box.checked });
        setStatus(snrStatus, `Single Number Reach ${box.checked ? 'on' : 'off'} for ${rd.name || rd.number}.`, 'ok');
        await load();
      } catch (e) {
        box.checked = !box.checked;
        setStatus(snrStatus, `Not saved: ${e.message}`, 'error');
        box.disabled = false;
      }
    });
    return h('tr', {},
      h('th', { scope: 'row' }, rd.name || '—', rd.isMobilityIdentity ? h('span', { class: 'muted' }, ' (mobility identity)') : ''),
      h('td', {}, rd.number),
      h('td', {}, h('span', { class: 'switch' }, box, h('label', { for: id }, `Ring ${rd.name || rd.number}`), state)),
      h('td', {}, `${rd.delayBeforeRingingMs} / ${rd.answerTooSoonMs} / ${rd.answerTooLateMs}`),
      h('td', {}, rd.ringSchedule ? (me.ringSchedules.find((s) => s.id === rd.ringSchedule)?.name ?? rd.ringSchedule) : 'all the time'),
      h('td', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => editRd(rd), 'aria-label': `Edit ${rd.name || rd.number}` }, 'Edit'), ' ',
        rd.isMobilityIdentity ? '' : h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${rd.name || rd.number}`, onclick: async () => {
          if (!confirm(`Delete ${rd.name || rd.number}?`)) return;
          try { await api('DELETE', `/api/v1/me/remote-destinations/${encodeURIComponent(rd.id)}`); await load(); } catch (e) { setStatus(snrStatus, e.message, 'error'); }
        } }, 'Delete')));
  });
  table.replaceChildren(
    h('caption', {}, `${me.remoteDestinations.length} destination(s); timers: delay before ringing / answer too soon / answer too late (ms)`),
    h('thead', {}, h('tr', {}, ...['Name', 'Number', 'Single Number Reach', 'Timers (ms)', 'Schedule', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows));
}

async function setAll(enabled) {
  try {
    await api('PUT', '/api/v1/me/snr', { enabled });
    setStatus(snrStatus, enabled ? 'All destinations will ring.' : 'Only your desk phone will ring.', 'ok');
    await load();
  } catch (e) { setStatus(snrStatus, `Not saved: ${e.message}`, 'error'); }
}
document.getElementById('all-on').addEventListener('click', () => setAll(true));
document.getElementById('all-off').addEventListener('click', () => setAll(false));

// ---- my access lists and ring schedules ---------------------------------------------------------
const lists = document.getElementById('lists');
const listsBody = h('div');
lists.append(h('h2', { id: 'lists-h' }, 'Who may ring, and when'), listsBody);
const alForm = buildForm([
  { name: 'name', label: 'List name', required: true },
  { name: 'type', label: 'Type', type: 'select', required: true, options: async () => [{ value: 'blocked', label: 'blocked callers' }, { value: 'allowed', label: 'allowed callers' }] },
  { name: 'members', label: 'Callers', type: 'members' },
], { legend: 'New access list', submitLabel: 'Create list', onSubmit: async (f) => { await api('POST', '/api/v1/me/access-lists', f.values(false)); f.form.reset(); f.set('members', []); setStatus(f.status, 'List created.', 'ok'); await load(); } });
const rsForm = buildForm([
  { name: 'name', label: 'Schedule name', required: true },
  { name: 'entries', label: 'Ring during (your time zone)', type: 'schedule' },
], { legend: 'New ring schedule', submitLabel: 'Create schedule', onSubmit: async (f) => { await api('POST', '/api/v1/me/ring-schedules', f.values(false)); f.form.reset(); f.set('entries', []); setStatus(f.status, 'Schedule created.', 'ok'); await load(); } });

function renderLists() {
  const del = (url, what) => async () => { if (!confirm(`Delete ${what}?`)) return; try { await api('DELETE', url); await load(); } catch (e) { setStatus(snrStatus, e.message, 'error'); } };
  listsBody.replaceChildren(
    h('table', {}, h('caption', {}, 'My access lists'), h('thead', {}, h('tr', {}, ...['Name', 'Type', 'Callers', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...me.accessLists.map((l) => h('tr', {}, h('td', {}, l.name), h('td', {}, l.type), h('td', {}, l.members.map((m) => m.value ?? m.kind).join(', ') || '—'),
        h('td', {}, h('button', { type: 'button', class: 'danger', onclick: del(`/api/v1/me/access-lists/${encodeURIComponent(l.id)}`, l.name), 'aria-label': `Delete list ${l.name}` }, 'Delete')))))),
    alForm.form,
    h('table', {}, h('caption', {}, 'My ring schedules'), h('thead', {}, h('tr', {}, ...['Name', 'When', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...me.ringSchedules.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, s.entries.map((e) => `${e.days.join(',')} ${e.start}–${e.end}`).join('; ') || '—'),
        h('td', {}, h('button', { type: 'button', class: 'danger', onclick: del(`/api/v1/me/ring-schedules/${encodeURIComponent(s.id)}`, s.name), 'aria-label': `Delete schedule ${s.name}` }, 'Delete')))))),
    rsForm.form);
}

// ---- PIN and password ---------------------------------------------------------------------------
const pinForm = buildForm([
  { name: 'newPin', label: 'New PIN', type: 'password', required: true, help: '4 to 32 digits, used for Mobile Voice Access' },
], { legend: 'Change PIN', submitLabel: 'Change PIN', onSubmit: async (f) => { await api('PUT', '/api/v1/me/pin', f.values(false)); f.form.reset(); setStatus(f.status, 'PIN changed.', 'ok'); } });
const pwForm = buildForm([
  { name: 'currentPassword', label: 'Current password', type: 'password', required: true },
  { name: 'newPassword', label: 'New password', type: 'password', required: true, help: 'at least 8 characters' },
], { legend: 'Change password', submitLabel: 'Change password', onSubmit: async (f) => { await api('PUT', '/api/v1/me/password', f.values(false)); f.form.reset(); setStatus(f.status, 'Password changed.', 'ok'); } });
document.getElementById('pin-form').append(pinForm.form);
document.getElementById('password-form').append(pwForm.form);

async function load() {
  me = await api('GET', '/api/v1/me');
  document.getElementById('who').textContent = `${me.user.displayName || me.user.userId} (${session.username})`;
  renderRds();
  renderLists();
  await rdForm.refreshOptions();
  await alForm.refreshOptions();
}

await load();
resetRdForm();
