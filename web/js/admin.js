// Admin page: users, lines, devices, RD profiles, remote destinations, access lists with ring
// schedules (time-of-day editor), EFA numbers, service parameters, accounts, import/export.
import { api, logout, requireSession } from './api.js';
import { buildForm, fmt, h, resourceSection, setStatus } from './ui.js';

const session = await requireSession('admin');
document.getElementById('who').textContent = `${session.username} (administrator)`;
document.getElementById('logout').addEventListener('click', logout);

const list = (url, value, label) => async () => (await api('GET', url)).map((r) => ({ value: value(r), label: label ? label(r) : value(r) }));
const users = list('/api/v1/users', (u) => u.userId, (u) => `${u.userId}${u.displayName ? ` (${u.displayName})` : ''}`);
const lines = list('/api/v1/lines', (l) => l.id, (l) => `${l.number} / ${l.partition}${l.displayName ? ` (${l.displayName})` : ''}`);
const partitions = list('/api/v1/partitions', (p) => p.name);
const css = list('/api/v1/css', (c) => c.name);
const schedules = list('/api/v1/ring-schedules', (s) => s.id, (s) => `${s.name} (${s.ownerUser ?? 'shared'})`);
const accessLists = list('/api/v1/access-lists', (a) => a.id, (a) => `${a.name} (${a.type}, ${a.ownerUser})`);
const parents = async () => {
  const [p, d] = await Promise.all([api('GET', '/api/v1/rd-profiles'), api('GET', '/api/v1/devices?kind=mobileClient')]);
  return [...p.map((x) => ({ value: `rdProfile:${x.id}`, label: `profile ${x.name} (${x.ownerUser})` })), ...d.map((x) => ({ value: `mobileClient:${x.id}`, label: `mobile client ${x.id} (${x.ownerUser ?? '—'})` }))];
};
const policy = [{ value: 'useSystemDefault', label: 'system default' }, { value: 'timerControl', label: 'timer control' }, { value: 'userControl', label: 'user control (press a key)' }];
const opts = (values) => async () => values.map((v) => (typeof v === 'string' ? { value: v } : v));

const tabs = document.getElementById('tabs');
const panels = document.getElementById('panels');
const sections = [];
function addTab(id, title, build) {
  const panel = h('section', { id: `panel-${id}`, role: 'tabpanel', 'aria-labelledby': `tab-${id}`, hidden: true });
  const tab = h('button', { id: `tab-${id}`, role: 'tab', type: 'button', 'aria-controls': panel.id, 'aria-selected': 'false', tabindex: '-1' }, title);
  let loaded;
  const show = async () => {
    for (const s of sections) { s.tab.setAttribute('aria-selected', 'false'); s.tab.tabIndex = -1; s.panel.hidden = true; }
    tab.setAttribute('aria-selected', 'true');
    tab.tabIndex = 0;
    panel.hidden = false;
    history.replaceState(null, '', `#${id}`);
    loaded ??= build(panel);
    const r = await loaded;
    await r?.load?.();
  };
  tab.addEventListener('click', show);
  tab.addEventListener('keydown', (ev) => {
    const i = sections.findIndex((s) => s.tab === tab);
    const j = ev.key === 'ArrowRight' ? i + 1 : ev.key === 'ArrowLeft' ? i - 1 : -1;
    if (j >= 0 && j < sections.length) { sections[j].tab.focus(); sections[j].show(); }
  });
  tabs.append(tab);
  panels.append(panel);
  sections.push({ id, tab, panel, show });
}

addTab('users', 'Users', (p) => resourceSection(p, {
  title: 'Users', singular: 'user', url: '/api/v1/users', key: 'userId',
  columns: [{ name: 'userId', label: 'User ID' }, { name: 'displayName', label: 'Name' }, { name: 'primaryLine', label: 'Primary line' }, { name: 'enableMobility', label: 'Mobility' }, { name: 'hasPin', label: 'PIN set' }, { name: 'timeZone', label: 'Time zone' }],
  fields: [
    { name: 'userId', label: 'User ID', required: true, readOnlyOnEdit: true },
    { name: 'displayName', label: 'Display name' },
    { name: 'primaryLine', label: 'Primary line', type: 'select', options: lines, nullable: true },
    { name: 'enableMobility', label: 'Enable mobility (SNR, remote destinations)', type: 'checkbox' },
    { name: 'enableMobileVoiceAccess', label: 'Enable Mobile Voice Access', type: 'checkbox' },
    { name: 'mvaNumericId', label: 'MVA numeric ID', help: 'digits typed at the MVA prompt', nullable: true },
    { name: 'pin', label: 'PIN (leave empty to keep)', type: 'password', help: 'digits' },
    { name: 'timeZone', label: 'Time zone', placeholder: 'Europe/Paris' },
    { name: 'maxWaitTimeForDeskPickupMs', label: 'Max wait for desk pickup (ms)', type: 'number', min: 0, max: 30000 },
    { name: 'webPassword', label: 'Self-care password (leave empty to keep)', type: 'password', help: 'at least 8 characters; the user signs in with the user ID' },
  ],
  defaults: { timeZone: 'UTC', maxWaitTimeForDeskPickupMs: 10000 },
}));

addTab('lines', 'Lines', (p) => resourceSection(p, {
  title: 'Lines', singular: 'line', url: '/api/v1/lines', key: 'id',
  columns: [{ name: 'id', label: 'ID' }, { name: 'number', label: 'DN' }, { name: 'partition', label: 'Partition' }, { name: 'did', label: 'DID' }, { name: 'displayName', label: 'Name' }, { name: 'callForwardNoAnswer', label: 'Forward no answer' }],
  fields: [
    { name: 'id', label: 'ID (empty: generated)', readOnlyOnEdit: true },
    { name: 'number', label: 'Directory number', required: true },
    { name: 'partition', label: 'Partition', type: 'select', options: partitions, required: true },
    { name: 'lineCss', label: 'Line CSS', type: 'select', options: css, nullable: true },
    { name: 'did', label: 'DID / external mask', placeholder: '+14085551234', nullable: true },
    { name: 'displayName', label: 'Display name' },
    { name: 'noAnswerRingDurationS', label: 'No-answer ring duration (s)', type: 'number', min: 1, max: 300, nullable: true, help: 'empty: system forwardNoAnswerTimerS' },
    { name: 'callForwardNoAnswer', label: 'Forward on no answer', nullable: true },
    { name: 'callForwardBusy', label: 'Forward on busy', nullable: true },
    { name: 'callForwardAll', label: 'Forward all', nullable: true },
    { name: 'voicemailPilot', label: 'Voicemail pilot', nullable: true },
  ],
}));

addTab('devices', 'Devices', (p) => resourceSection(p, {
  title: 'Devices', singular: 'device', url: '/api/v1/devices', key: 'id',
  columns: [{ name: 'id', label: 'ID' }, { name: 'kind', label: 'Kind' }, { name: 'ownerUser', label: 'Owner' }, { name: 'sipUsername', label: 'SIP user' }, { name: 'aor', label: 'AOR' }, { name: 'lines', label: 'Lines' }],
  fields: [
    { name: 'id', label: 'Device ID', required: true, readOnlyOnEdit: true },
    { name: 'kind', label: 'Kind', type: 'select', required: true, options: opts([{ value: 'desk', label: 'desk phone' }, { value: 'mobileClient', label: 'mobile client (dual mode)' }]), readOnlyOnEdit: true },
    { name: 'ownerUser', label: 'Owner', type: 'select', options: users, nullable: true },
    { name: 'lines', label: 'Lines', type: 'multi', options: lines },
    { name: 'sipUsername', label: 'SIP username', nullable: true },
    { name: 'sipPassword', label: 'SIP password (leave empty to keep)', type: 'password' },
    { name: 'aor', label: 'AOR', placeholder: 'sip:5001@example.com', nullable: true },
    { name: 'css', label: 'Device CSS', type: 'select', options: css, nullable: true },
  ],
}));

addTab('rd-profiles', 'RD profiles', (p) => resourceSection(p, {
  title: 'Remote destination profiles', singular: 'profile', url: '/api/v1/rd-profiles', key: 'id',
  columns: [{ name: 'id', label: 'ID' }, { name: 'name', label: 'Name' }, { name: 'ownerUser', label: 'Owner' }, { name: 'lines', label: 'Lines' }, { name: 'rerouteCss', label: 'Rerouting CSS' }],
  fields: [
    { name: 'id', label: 'ID (empty: generated)', readOnlyOnEdit: true },
    { name: 'name', label: 'Name', required: true },
    { name: 'ownerUser', label: 'Owner', type: 'select', options: users, required: true, readOnlyOnEdit: true },
    { name: 'lines', label: 'Lines (shared DN)', type: 'multi', options: lines },
    { name: 'css', label: 'CSS', type: 'select', options: css, nullable: true },
    { name: 'rerouteCss', label: 'Rerouting CSS (SNR legs)', type: 'select', options: css, nullable: true },
  ],
}));

addTab('remote-destinations', 'Remote destinations', (p) => resourceSection(p, {
  title: 'Remote destinations', singular: 'remote destination', url: '/api/v1/remote-destinations', key: 'id',
  columns: [{ name: 'id', label: 'ID' }, { name: 'name', label: 'Name' }, { name: 'number', label: 'Number' }, { name: 'ownerUser', label: 'Owner' },
    { name: 'enableSnr', label: 'SNR', render: (r) => h('span', { class: `badge ${r.enableSnr ? 'on' : 'off'}` }, r.enableSnr ? 'on' : 'off') },
    { name: 'isMobilityIdentity', label: 'MI' }, { name: 'timers', label: 'Delay / too soon / too late (ms)', render: (r) => `${r.delayBeforeRingingMs} / ${r.answerTooSoonMs} / ${r.answerTooLateMs}` }],
  fields: [
    { name: 'parent', label: 'Belongs to', type: 'select', options: parents, required: true, readOnlyOnEdit: true },
    { name: 'id', label: 'ID (empty: generated)', readOnlyOnEdit: true },
    { name: 'name', label: 'Name' },
    { name: 'number', label: 'Number', required: true, placeholder: '+14085557890' },
    { name: 'enableSnr', label: 'Single Number Reach on', type: 'checkbox' },
    { name: 'mobilePhone', label: 'Mobile phone (send call to mobile)', type: 'checkbox' },
    { name: 'isMobilityIdentity', label: 'Mobility identity (of a mobile client)', type: 'checkbox', readOnlyOnEdit: true },
    { name: 'delayBeforeRingingMs', label: 'Delay before ringing (ms)', type: 'number', min: 0, max: 60000 },
    { name: 'answerTooSoonMs', label: 'Answer too soon (ms, 0 = off)', type: 'number', min: 0, max: 60000 },
    { name: 'answerTooLateMs', label: 'Answer too late (ms, 0 = off)', type: 'number', min: 0, max: 60000 },
    { name: 'snrVoicemailPolicy', label: 'Voicemail avoidance', type: 'select', options: opts(policy), required: true },
    { name: 'ringSchedule', label: 'Ring schedule', type: 'select', options: schedules, nullable: true, emptyLabel: 'all the time' },
    { name: 'accessMode', label: 'Access policy', type: 'select', required: true, options: opts([{ value: 'always', label: 'always ring' }, { value: 'allowed', label: 'only callers in allowed list' }, { value: 'blocked', label: 'not callers in blocked list' }]) },
    { name: 'accessList', label: 'Access list', type: 'select', options: accessLists },
  ],
  defaults: { enableSnr: true, delayBeforeRingingMs: 4000, answerTooSoonMs: 1500, answerTooLateMs: 19000, snrVoicemailPolicy: 'useSystemDefault', accessMode: 'always' },
  toForm: (r) => ({ ...r, accessMode: r.accessPolicy === 'always' ? 'always' : 'allowedList' in r.accessPolicy ? 'allowed' : 'blocked', accessList: r.accessPolicy === 'always' ? '' : (r.accessPolicy.allowedList ?? r.accessPolicy.blockedList) }),
  toBody: (v, editing) => {
    const { accessMode, accessList, parent, ...rest } = v;
    const accessPolicy = accessMode === 'always' || !accessMode ? 'always' : accessMode === 'allowed' ? { allowedList: accessList } : { blockedList: accessList };
    const body = { ...rest, accessPolicy };
    if (!editing && parent) { const [kind, ...id] = parent.split(':'); body.parent = { kind, id: id.join(':') }; }
    if (!editing && !body.isMobilityIdentity) delete body.isMobilityIdentity;
    return body;
  },
}));

addTab('access', 'Access lists & schedules', (p) => {
  const a = resourceSection(p, {
    title: 'Access lists', singular: 'access list', url: '/api/v1/access-lists', key: 'id',
    columns: [{ name: 'id', label: 'ID' }, { name: 'name', label: 'Name' }, { name: 'ownerUser', label: 'Owner' }, { name: 'type', label: 'Type' }, { name: 'members', label: 'Members', render: (r) => r.members.map((m) => m.value ?? m.kind).join(', ') || '—' }],
    fields: [
      { name: 'id', label: 'ID (empty: generated)', readOnlyOnEdit: true },
      { name: 'name', label: 'Name', required: true },
      { name: 'ownerUser', label: 'Owner', type: 'select', options: users, required: true, readOnlyOnEdit: true },
      { name: 'type', label: 'Type', type: 'select', required: true, options: opts([{ value: 'blocked', label: 'blocked callers (all others ring)' }, { value: 'allowed', label: 'allowed callers (only these ring)' }]) },
      { name: 'members', label: 'Members', type: 'members' },
    ],
  });
  const s = resourceSection(p, {
    title: 'Ring schedules (time of day)', singular: 'ring schedule', url: '/api/v1/ring-schedules', key: 'id',
    columns: [{ name: 'id', label: 'ID' }, { name: 'name', label: 'Name' }, { name: 'ownerUser', label: 'Owner' }, { name: 'entries', label: 'When', render: (r) => r.entries.map((e) => `${e.days.join(',')} ${e.start}–${e.end}`).join('; ') }],
    fields: [
      { name: 'id', label: 'ID (empty: generated)', readOnlyOnEdit: true },
      { name: 'name', label: 'Name', required: true },
      { name: 'ownerUser', label: 'Owner', type: 'select', options: users, nullable: true, emptyLabel: '(shared)' },
      { name: 'entries', label: 'Ring during (owner\'s time zone)', type: 'schedule' },
    ],
  });
  return { load: async () => { await a.load(); await s.load(); } };
});

addTab('efa', 'EFA numbers', (p) => resourceSection(p, {
  title: 'EFA numbers', singular: 'EFA number', url: '/api/v1/efa-numbers', key: 'number',
  columns: [{ name: 'number', label: 'Number' }, { name: 'partition', label: 'Partition' }, { name: 'description', label: 'Description' }, { name: 'isDefault', label: 'Default' }],
  fields: [
    { name: 'number', label: 'Number', required: true, help: 'at most 24 of 0-9 * # A-D; write + as \\+' },
    { name: 'partition', label: 'Partition', type: 'select', options: partitions, required: true },
    { name: 'description', label: 'Description' },
    { name: 'isDefault', label: 'Default EFA number', type: 'checkbox' },
  ],
}));

addTab('parameters', 'Parameters', async (p) => {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const form = h('form', { class: 'card', novalidate: true }, h('table', {}, h('caption', {}, 'Service parameters (spec §16); changes apply to the next call'),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Default / range'), h('th', { scope: 'col' }, ''))), tbody),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Save changes')), status);
  p.append(h('h2', {}, 'Service parameters'), form);
  let current = {};
  const inputs = {};
  const load = async () => {
    const d = await api('GET', '/api/v1/service-parameters');
    current = {};
    tbody.replaceChildren();
    for (const prm of d.parameters) {
      current[prm.key] = prm.value;
      const s = prm.schema;
      const id = `param-${prm.key}`;
      let input;
      const types = [].concat(s.type || []);
      if (types.includes('boolean')) input = h('input', { id, type: 'checkbox', checked: prm.value === true });
      else if (s.enum) input = h('select', { id }, ...s.enum.map((v) => h('option', { value: v, selected: v === prm.value }, v)));
      else if (types.includes('integer') || types.includes('number')) input = h('input', { id, type: 'number', min: s.minimum, max: s.maximum, value: prm.value });
      else if (types.includes('array') || types.includes('object')) input = h('textarea', { id, spellcheck: 'false' }, JSON.stringify(prm.value));
      else input = h('input', { id, value: prm.value ?? '' });
      inputs[prm.key] = { input, s, types };
      const range = s.minimum !== undefined ? ` (${s.minimum}–${s.maximum})` : s.enum ? ` (${s.enum.join(' / ')})` : '';
      tbody.append(h('tr', {},
        h('th', { scope: 'row' }, h('label', { for: id }, prm.key), prm.overridden ? h('span', { class: 'badge' }, ' overridden') : ''),
        h('td', {}, input, h('div', { class: 'field-error', id: `${id}-err` })),
        h('td', { class: 'param-default' }, `${fmt(prm.default)}${range}`),
        h('td', {}, prm.overridden ? h('button', { type: 'button', class: 'secondary', 'aria-label': `Reset ${prm.key}`, onclick: async () => {
          try { await api('DELETE', `/api/v1/service-parameters/${prm.key}`); setStatus(status, `${prm.key} reset.`, 'ok'); await load(); } catch (e) { setStatus(status, e.message, 'error'); }
        } }, 'Reset') : '')));
    }
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const el of form.querySelectorAll('.field-error')) el.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const changed = {};
    try {
      for (const [k, { input, types }] of Object.entries(inputs)) {
        let v;
        if (input.type === 'checkbox') v = input.checked;
        else if (types.includes('integer') || types.includes('number')) v = input.value === '' ? undefined : Number(input.value);
        else if (input.tagName === 'TEXTAREA') { try { v = JSON.parse(input.value); } catch { throw Object.assign(new Error(`${k}: not valid JSON`), { field: k }); } }
        else v = input.value;
        if (v !== undefined && JSON.stringify(v) !== JSON.stringify(current[k])) changed[k] = v;
      }
      if (Object.keys(changed).length === 0) { setStatus(status, 'Nothing changed.'); return; }
      await api('PATCH', '/api/v1/service-parameters', changed);
      setStatus(status, `Saved: ${Object.keys(changed).join(', ')}.`, 'ok');
      await load();
    } catch (e) {
      const key = e.field ? String(e.field).split(/[.[]/)[0] : undefined;
      if (key && inputs[key]) { inputs[key].input.setAttribute('aria-invalid', 'true'); document.getElementById(`param-${key}-err`).textContent = e.message; inputs[key].input.focus(); }
      setStatus(status, e.message, 'error');
    }
  });
  return { load };
});

addTab('accounts', 'Accounts', (p) => {
  const tableWrap = h('div');
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const f = buildForm([
    { name: 'username', label: 'Username', required: true },
    { name: 'role', label: 'Role', type: 'select', required: true, options: opts([{ value: 'admin', label: 'administrator' }, { value: 'user', label: 'end user (self-care)' }]) },
    { name: 'userId', label: 'End user (for role end user)', type: 'select', options: users },
    { name: 'password', label: 'Password', type: 'password', required: true, help: 'at least 8 characters' },
  ], {
    legend: 'New account', submitLabel: 'Create account',
    onSubmit: async (fm) => {
      const v = fm.values(false);
      await api('POST', '/api/v1/accounts', v.role === 'admin' ? { username: v.username, role: 'admin', password: v.password } : v);
      setStatus(status, `Account ${v.username} created.`, 'ok');
      fm.form.reset();
      await load();
    },
  });
  p.append(h('h2', {}, 'Accounts'), status, tableWrap, f.form);
  const load = async () => {
    const rows = await api('GET', '/api/v1/accounts');
    tableWrap.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, ...['Username', 'Role', 'End user', 'Created', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows.map((a) => h('tr', {}, h('td', {}, a.username), h('td', {}, a.role), h('td', {}, fmt(a.userId)), h('td', {}, a.createdAt.slice(0, 19).replace('T', ' ')),
        h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `Delete account ${a.username}`, onclick: async () => {
          if (!confirm(`Delete account ${a.username}?`)) return;
          try { await api('DELETE', `/api/v1/accounts/${encodeURIComponent(a.username)}`); await load(); } catch (e) { setStatus(status, e.message, 'error'); }
        } }, 'Delete')))))));
    await f.refreshOptions();
  };
  return { load };
});

addTab('bulk', 'Import / export', (p) => {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const file = h('input', { type: 'file', id: 'import-file', accept: '.json,.yaml,.yml,.csv' });
  const entity = h('select', { id: 'import-entity' }, h('option', { value: '' }, '(document: JSON or YAML)'),
    ...['partitions', 'css', 'lines', 'users', 'devices', 'rd-profiles', 'remote-destinations', 'access-lists', 'ring-schedules', 'mobility-profiles', 'route-patterns', 'trunks', 'directed-parks'].map((e) => h('option', { value: e }, `${e} (CSV)`)));
  const dry = h('input', { type: 'checkbox', id: 'import-dry' });
  const form = h('form', { class: 'card' },
    h('div', { class: 'grid' }, h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'File'), file), h('div', { class: 'field' }, h('label', { for: 'import-entity' }, 'Content'), entity),
      h('div', { class: 'field check' }, dry, h('label', { for: 'import-dry' }, 'Validate only (dry run)'))),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Import')), status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = file.files[0];
    if (!f) { setStatus(status, 'Choose a file first.', 'error'); return; }
    const text = await f.text();
    const csv = entity.value !== '';
    const ct = csv ? 'text/csv' : /\.ya?ml$/i.test(f.name) ? 'application/yaml' : 'application/json';
    const qs = new URLSearchParams();
    if (csv) qs.set('entity', entity.value);
    if (dry.checked) qs.set('dryRun', 'true');
    const s = await api('GET', '/api/v1/auth/session');
    const res = await fetch(`/api/v1/import?${qs}`, { method: 'POST', headers: { 'content-type': ct, 'x-csrf-token': s.csrfToken }, body: text, credentials: 'same-origin' });
    const body = await res.json();
    if (!res.ok) setStatus(status, `${body.message}${body.field ? ` (field ${body.field})` : ''}`, 'error');
    else setStatus(status, `${dry.checked ? 'Valid' : 'Imported'}: ${body.created} created, ${body.updated} updated${body.warnings.length ? `; warnings: ${body.warnings.join('; ')}` : ''}.`, 'ok');
  });
  p.append(h('h2', {}, 'Export'), h('p', {}, h('a', { href: '/api/v1/export?format=json' }, 'Download everything (JSON)'), ' · CSV: ',
    ...['users', 'lines', 'devices', 'remote-destinations', 'access-lists'].flatMap((e) => [h('a', { href: `/api/v1/export?format=csv&entity=${e}` }, e), ' '])),
  h('p', { class: 'help' }, 'SIP passwords and PINs are stored hashed and are not exported; use a backup (mobility-anchor-admin backup) for a full copy.'),
  h('h2', {}, 'Import'), form);
  return { load: async () => {} };
});

const first = sections.find((s) => `#${s.id}` === location.hash) ?? sections[0];
await first.show();
