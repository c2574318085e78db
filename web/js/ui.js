// DOM helpers and a generic "records table + form" section used by the admin and self-care pages.
// Text is always set with textContent (never innerHTML), so record values cannot inject markup.
import { api } from './api.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let uid = 0;
export const nextId = (p) => `${p}-${++uid}`;

export function setStatus(el, text, kind = '') {
  el.className = `status ${kind}`;
  el.textContent = text;
}

export function fmt(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) return v.map(fmt).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Time-of-day editor: rows of weekday checkboxes + start/end times (ring schedule entries). */
export function scheduleEditor(initial = []) {
  const box = h('div', { class: 'sched', role: 'group' });
  const rows = h('div');
  const addRow = (e = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }) => {
    const n = rows.children.length + 1;
    const row = h('div', { class: 'sched-row', 'data-row': '' });
    const days = h('span', { class: 'days', role: 'group', 'aria-label': `Days of entry ${n}` });
    for (const d of DAYS) days.append(h('label', {}, h('input', { type: 'checkbox', value: d, checked: e.days.includes(d), 'data-day': d }), d));
    const start = h('input', { type: 'time', value: e.start, 'aria-label': `Start of entry ${n}`, 'data-start': '' });
    const end = h('input', { type: 'time', value: e.end === '24:00' ? '23:59' : e.end, 'aria-label': `End of entry ${n}`, 'data-end': '' });
    row.append(days, start, '–', end, h('button', { type: 'button', class: 'danger', onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
  };
  for (const e of initial) addRow(e);
  box.append(rows, h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, 'Add time range'));
  box.getValue = () =>
    [...rows.querySelectorAll('[data-row]')].map((r) => ({
      days: [...r.querySelectorAll('[data-day]')].filter((c) => c.checked).map((c) => c.value),
      start: r.querySelector('[data-start]').value,
      end: r.querySelector('[data-end]').value,
    }));
  box.setValue = (entries) => { rows.replaceChildren(); for (const e of entries || []) addRow(e); };
  return box;
}

/** Access-list members editor: rows of kind + value. */
export function membersEditor(initial = []) {
  const box = h('div', { role: 'group' });
  const rows = h('div');
  const addRow = (m = { kind: 'number', value: '' }) => {
    const n = rows.children.length + 1;
    const kind = h('select', { 'aria-label': `Kind of member ${n}`, 'data-kind': '' },
      ...[['number', 'Number'], ['mask', 'Mask (X = any digit)'], ['private', 'Private (withheld)'], ['notAvailable', 'Not available (no caller ID)']].map(([v, l]) => h('option', { value: v, selected: m.kind === v }, l)));
    const value = h('input', { value: m.value ?? '', 'aria-label': `Number or mask of member ${n}`, 'data-value': '', placeholder: '+14085551234 or 408555XXXX' });
    const sync = () => { value.disabled = kind.value === 'private' || kind.value === 'notAvailable'; };
    kind.addEventListener('change', sync);
    sync();
    const row = h('div', { class: 'member-row', 'data-row': '' }, kind, value, h('button', { type: 'button', class: 'danger', onclick: () => row.remove() }, 'Remove'));
    rows.append(row);
  };
  for (const m of initial) addRow(m);
  box.append(rows, h('button', { type: 'button', class: 'secondary', onclick: () => addRow() }, 'Add member'));
  box.getValue = () =>
    [...rows.querySelectorAll('[data-row]')].map((r) => {
      const kind = r.querySelector('[data-kind]').value;
      return kind === 'number' || kind === 'mask' ? { kind, value: r.querySelector('[data-value]').value.trim() } : { kind };
    });
  box.setValue = (members) => { rows.replaceChildren(); for (const m of members || []) addRow(m); };
  return box;
}

/**
 * Builds a form from field specs. A spec: { name, label, type, options?, min?, max?, help?,
 * required?, createOnly?, nullable?, placeholder? }; types: text, password, number, checkbox,
 * select, multi, json, schedule, members, time-zone.
 */
export function buildForm(fields, { submitLabel = 'Save', onSubmit, onCancel, legend } = {}) {
  const form = h('form', { class: 'card', novalidate: true });
  const grid = h('div', { class: 'grid' });
  const controls = {};
  const errors = {};
  for (const f of fields) {
    const id = nextId(f.name);
    const errId = `${id}-err`;
    const helpId = f.help ? `${id}-help` : undefined;
    const describedBy = [helpId, errId].filter(Boolean).join(' ');
    let control;
    if (f.type === 'checkbox') control = h('input', { id, type: 'checkbox', name: f.name, 'aria-describedby': describedBy });
    else if (f.type === 'select' || f.type === 'multi') control = h('select', { id, name: f.name, multiple: f.type === 'multi', 'aria-describedby': describedBy });
    else if (f.type === 'json') control = h('textarea', { id, name: f.name, 'aria-describedby': describedBy, spellcheck: 'false' });
    else if (f.type === 'schedule') control = scheduleEditor();
    else if (f.type === 'members') control = membersEditor();
    else control = h('input', { id, name: f.name, type: f.type === 'number' ? 'number' : f.type === 'password' ? 'password' : 'text', min: f.min, max: f.max, placeholder: f.placeholder, autocomplete: f.type === 'password' ? 'new-password' : 'off', 'aria-describedby': describedBy, required: f.required });
    if (f.type === 'schedule' || f.type === 'members') control.setAttribute('aria-labelledby', `${id}-label`);
    controls[f.name] = control;
    const err = h('span', { id: errId, class: 'field-error' });
    errors[f.name] = err;
    const label = f.type === 'schedule' || f.type === 'members' ? h('span', { id: `${id}-label`, class: 'label' }, h('strong', {}, f.label)) : h('label', { for: id }, f.label, f.required ? ' *' : '');
    const wide = f.type === 'schedule' || f.type === 'members' || f.type === 'json';
    const wrap = h('div', { class: `field${f.type === 'checkbox' ? ' check' : ''}${wide ? ' wide' : ''}` },
      f.type === 'checkbox' ? [control, label] : [label, control],
      f.help ? h('span', { id: helpId, class: 'help' }, f.help) : null, err);
    grid.append(wrap);
  }
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const row = h('div', { class: 'row' }, submit);
  if (onCancel) row.append(h('button', { type: 'button', class: 'secondary', onclick: onCancel }, 'Cancel'));
  if (legend) form.append(h('h3', {}, legend));
  form.append(grid, row, status);

  const api = {
    form, controls, status, fields,
    async refreshOptions() {
      for (const f of fields) {
        if (!f.options) continue;
        const c = controls[f.name];
        const keep = api.get(f.name);
        const opts = await f.options();
        c.replaceChildren(...(f.type === 'select' && !f.required ? [h('option', { value: '' }, f.emptyLabel || '(none)')] : []), ...opts.map((o) => h('option', { value: o.value }, o.label ?? o.value)));
        // Keep the user's choice; a required select without one shows its first option.
        if (!(f.type === 'select' && keep === '' && f.required)) api.set(f.name, keep);
      }
    },
    get(name) {
      const f = fields.find((x) => x.name === name);
      const c = controls[name];
      if (f.type === 'checkbox') return c.checked;
      if (f.type === 'multi') return [...c.selectedOptions].map((o) => o.value);
      if (f.type === 'schedule' || f.type === 'members') return c.getValue();
      return c.value;
    },
    set(name, v) {
      const f = fields.find((x) => x.name === name);
      const c = controls[name];
      if (f.type === 'checkbox') c.checked = !!v;
      else if (f.type === 'multi') for (const o of c.options) o.selected = Array.isArray(v) && v.includes(o.value);
      else if (f.type === 'schedule' || f.type === 'members') c.setValue(v || []);
      else if (f.type === 'json') c.value = v === undefined || v === null ? '' : JSON.stringify(v, null, 1);
      else c.value = v === undefined || v === null ? '' : String(v);
    },
    /** The body: empty optional fields are left out on create and nulled on edit (if nullable). */
    values(editing) {
      const out = {};
      for (const f of fields) {
        if (f.readOnlyOnEdit && editing) continue;
        const v = api.get(f.name);
        if (f.type === 'checkbox' || f.type === 'multi' || f.type === 'schedule' || f.type === 'members') { out[f.name] = v; continue; }
        if (v === '') { if (editing && f.nullable) out[f.name] = null; continue; }
        if (f.type === 'number') out[f.name] = Number(v);
        else if (f.type === 'json') { try { out[f.name] = JSON.parse(v); } catch { throw Object.assign(new Error(`${f.label}: not valid JSON`), { field: f.name }); } }
        else if (f.map) out[f.name] = f.map(v);
        else out[f.name] = v;
      }
      return out;
    },
    clearErrors() {
      for (const [n, e] of Object.entries(errors)) { e.textContent = ''; const c = controls[n]; c.removeAttribute('aria-invalid'); }
      status.className = 'status'; status.textContent = '';
    },
    showError(e) {
      const field = e.field ? String(e.field).split(/[.[]/)[0] : undefined;
      if (field && errors[field]) {
        errors[field].textContent = (e.issues && e.issues[0] && e.issues[0].message) || e.message;
        controls[field].setAttribute('aria-invalid', 'true');
        controls[field].focus?.();
      }
      setStatus(status, e.message, 'error');
    },
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    api.clearErrors();
    try {
      await onSubmit(api);
    } catch (e) {
      api.showError(e);
    }
  });
  return api;
}

/**
 * A records section: table + create/edit form. spec: { title, url, key, columns: [{name, label, render?}],
 * fields, editKeyField?, toForm?(rec), toBody?(values, editing, rec), afterChange? }
 */
export function resourceSection(root, spec) {
  const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const table = h('table');
  let editing = null;
  const heading = h('h3', {}, `New ${spec.singular}`);
  const form = buildForm(spec.fields, {
    submitLabel: 'Save',
    onCancel: () => reset(),
    onSubmit: async (f) => {
      let body = f.values(editing !== null);
      if (spec.toBody) body = spec.toBody(body, editing !== null, editing);
      let res;
      if (editing !== null) res = await api('PATCH', `${spec.url}/${encodeURIComponent(editing[spec.key])}`, body);
      else res = await api('POST', spec.url, body);
      const warnings = (res && res.warnings) || [];
      setStatus(status, `${spec.singular} ${editing !== null ? 'updated' : 'created'}${warnings.length ? ` (warnings: ${warnings.join('; ')})` : ''}.`, 'ok');
      reset();
      await load();
      await spec.afterChange?.();
    },
  });
  form.form.prepend(heading);

  function reset() {
    editing = null;
    heading.textContent = `New ${spec.singular}`;
    form.form.reset();
    for (const fl of spec.fields) if (fl.type === 'schedule' || fl.type === 'members') form.set(fl.name, []);
    for (const fl of spec.fields) if (fl.readOnlyOnEdit) form.controls[fl.name].disabled = false;
    if (spec.defaults) for (const [k, v] of Object.entries(spec.defaults)) form.set(k, v);
    form.clearErrors();
  }

  function edit(rec) {
    editing = rec;
    heading.textContent = `Edit ${spec.singular} ${rec[spec.key]}`;
    const vals = spec.toForm ? spec.toForm(rec) : rec;
    for (const fl of spec.fields) {
      form.set(fl.name, vals[fl.name]);
      if (fl.readOnlyOnEdit) form.controls[fl.name].disabled = true;
    }
    form.clearErrors();
    form.form.scrollIntoView({ block: 'nearest' });
    form.controls[spec.fields.find((x) => !x.readOnlyOnEdit).name].focus();
  }

  async function load() {
    const rows = await api('GET', spec.url);
    const head = h('tr', {}, ...spec.columns.map((c) => h('th', { scope: 'col' }, c.label)), h('th', { scope: 'col' }, 'Actions'));
    const body = rows.map((r) =>
      h('tr', {},
        ...spec.columns.map((c) => h('td', {}, c.render ? c.render(r) : fmt(r[c.name]))),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'secondary', onclick: () => edit(r), 'aria-label': `Edit ${spec.singular} ${r[spec.key]}` }, 'Edit'), ' ',
          h('button', {
            type: 'button', class: 'danger', 'aria-label': `Delete ${spec.singular} ${r[spec.key]}`,
            onclick: async () => {
              if (!confirm(`Delete ${spec.singular} ${r[spec.key]}?`)) return;
              try {
                await api('DELETE', `${spec.url}/${encodeURIComponent(r[spec.key])}`);
                setStatus(status, `${spec.singular} ${r[spec.key]} deleted.`, 'ok');
                await load();
                await spec.afterChange?.();
              } catch (e) { setStatus(status, e.message, 'error'); }
            },
          }, 'Delete'))));
    table.replaceChildren(h('caption', {}, `${rows.length} ${spec.title.toLowerCase()}`), h('thead', {}, head), h('tbody', {}, ...body));
    await form.refreshOptions();
    // Select defaults can only be applied once their options exist.
    if (editing === null && spec.defaults) for (const [k, v] of Object.entries(spec.defaults)) if (form.get(k) === '') form.set(k, v);
  }

  root.append(h('h2', {}, spec.title), status, table, form.form);
  reset();
  return { load, reset, form };
}
