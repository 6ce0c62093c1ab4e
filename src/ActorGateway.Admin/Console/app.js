// ActorGateway operator console. Plain JavaScript, no build step, no dependencies.
// It calls the admin API on this origin only. Everything shown comes from the API and is put into the page as
// text (textContent / text nodes / attributes), never as HTML: a subject or display name with markup stays text.
// Routes are hash routes (#/, #/group/CODE?filters, #/message/ID, #/fix/message/ID, #/fix/group/CODE, #/job/ID,
// #/directory), so every page's URL can be shared.
'use strict';

(function () {
  const TOKEN_KEY = 'actor-gateway.admin-token';
  const OPERATOR_KEY = 'actor-gateway.operator';
  const PAGE_SIZE = 25;
  const FILTER_KEYS = ['reason', 'stage', 'route', 'domain', 'since', 'until'];
  const main = document.getElementById('main');
  const alertBox = document.getElementById('alert');
  let generation = 0;
  let timers = [];

  // ---------- DOM helpers (text only) ----------
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
    append(el, kids);
    return el;
  }
  function append(el, kids) {
    for (const kid of kids.flat(Infinity)) {
      if (kid === null || kid === undefined || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  function svg(tag, attrs) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    return el;
  }
  function link(href, ...kids) { return h('a', { href }, ...kids); }
  function msgHref(id) { return '#/message/' + encodeURIComponent(id); }
  function groupHref(code, filter) {
    const q = new URLSearchParams(filter || {}).toString();
    return '#/group/' + encodeURIComponent(code) + (q ? '?' + q : '');
  }
  function code(text) { return h('code', {}, text); }
  function badge(text, kind) { return h('span', { class: 'badge ' + (kind || '') }, text); }

  /** A time in UTC and in the browser's local time. */
  function when(iso) {
    if (!iso) return h('span', { class: 'muted' }, '—');
    const d = new Date(iso);
    if (isNaN(d)) return h('span', {}, iso);
    const utc = d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', ' UTC');
    const local = d.toLocaleString(undefined, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
    return h('time', { datetime: d.toISOString(), class: 'when' }, h('span', { class: 'utc' }, utc), h('span', { class: 'local' }, 'local ' + local));
  }

  /** Shows a string exactly, with blanks made visible (a display name of only spaces is the common mapping failure). */
  function literal(text) {
    if (text === null || text === undefined) return h('span', { class: 'muted' }, '(none)');
    const shown = JSON.stringify(text);
    const blank = text.trim().length === 0;
    return h('span', {}, h('span', { class: 'literal' }, shown), blank ? h('span', { class: 'muted literal-note' }, 'blank: ' + describeBlank(text)) : null);
  }
  function describeBlank(text) {
    if (text.length === 0) return 'empty';
    const counts = new Map();
    for (const ch of text) counts.set(ch, (counts.get(ch) || 0) + 1);
    return [...counts].map(([ch, n]) => n + ' × U+' + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')).join(', ');
  }

  function showAlert(text, kind) {
    alertBox.replaceChildren(h('span', {}, text), h('button', { type: 'button', class: 'link', 'aria-label': 'Dismiss', onclick: () => { alertBox.hidden = true; } }, '×'));
    alertBox.className = 'alert ' + (kind || 'error');
    alertBox.hidden = false;
  }
  function clearAlert() { alertBox.hidden = true; }
  function problemText(e) {
    if (e instanceof ApiProblem) return (e.code ? e.code + ': ' : '') + (e.detail || e.title || ('HTTP ' + e.status));
    return String(e && e.message || e);
  }

  // ---------- the admin API ----------
  class ApiProblem extends Error {
    constructor(status, body) {
      super((body && body.detail) || ('HTTP ' + status));
      this.status = status;
      this.code = body && body.code;
      this.title = body && body.title;
      this.detail = body && body.detail;
      this.body = body;
    }
  }

  const session = {
    get token() { return sessionStorage.getItem(TOKEN_KEY); },
    set token(v) { if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY); updateSession(); },
    get operator() { return sessionStorage.getItem(OPERATOR_KEY) || 'console'; },
    set operator(v) { if (v) sessionStorage.setItem(OPERATOR_KEY, v); else sessionStorage.removeItem(OPERATOR_KEY); },
  };

  function updateSession() {
    const state = document.getElementById('session-state');
    const forget = document.getElementById('forget-token');
    if (session.token) {
      state.textContent = 'Signed in as ' + session.operator;
      forget.hidden = false;
    } else {
      state.textContent = 'No token';
      forget.hidden = true;
    }
  }

  let tokenPrompt = null;
  /** Asks for the token once; concurrent calls share the one dialog. */
  function askToken(reason) {
    if (tokenPrompt) return tokenPrompt;
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    const operator = document.getElementById('operator-input');
    const error = document.getElementById('token-error');
    error.hidden = !reason;
    error.textContent = reason || '';
    input.value = '';
    operator.value = sessionStorage.getItem(OPERATOR_KEY) || '';
    tokenPrompt = new Promise((resolve) => {
      const done = (ev) => {
        ev.preventDefault();
        if (!input.value.trim()) return;
        session.operator = operator.value.trim();
        session.token = input.value.trim();
        form.removeEventListener('submit', done);
        dialog.close();
        tokenPrompt = null;
        resolve();
      };
      form.addEventListener('submit', done);
    });
    dialog.showModal();
    input.focus();
    return tokenPrompt;
  }

  async function api(path, options) {
    const { method = 'GET', body, raw = false } = options || {};
    for (let attempt = 0; attempt < 5; attempt++) {
      const headers = { Accept: 'application/json, application/problem+json' };
      if (session.token) headers.Authorization = 'Bearer ' + session.token;
      if (method !== 'GET') headers['X-Gateway-Operator'] = session.operator;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store', redirect: 'error' });
      if (res.ok) {
        if (raw) return res;
        const type = res.headers.get('Content-Type') || '';
        return type.includes('json') ? res.json() : res.text();
      }
      let problem = null;
      try { problem = await res.json(); } catch (_) { problem = null; }
      const code = problem && problem.code;
      if (res.status === 401 || (res.status === 403 && code === 'GW-ADMIN-FORBIDDEN' && session.token)) {
        session.token = null;
        await askToken(res.status === 403 ? 'That is not the admin token.' : null);
        continue;
      }
      throw new ApiProblem(res.status, problem);
    }
    throw new Error('the admin token was not accepted');
  }

  function parseMetrics(text) {
    const samples = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      if (m[3]) for (const pair of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
      samples.push({ name: m[1], labels, value: Number(m[4]) });
    }
    return samples;
  }

  // ---------- router ----------
  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts, params: new URLSearchParams(query || '') };
  }

  function startPage(title, ...crumbs) {
    timers.forEach(clearInterval);
    timers = [];
    clearAlert();
    generation++;
    document.title = title + ' · ActorGateway console';
    const nav = crumbs.length || title !== 'Overview' ? h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, link('#/', 'Overview'), crumbs.map((c) => [' › ', c])) : null;
    main.replaceChildren(...[nav, h('h1', {}, title)].filter(Boolean));
    return generation;
  }
  function current(gen) { return gen === generation; }
  function every(ms, fn) { timers.push(setInterval(fn, ms)); }

  async function render() {
    const { parts, params } = route();
    try {
      if (parts.length === 0) await overview();
      else if (parts[0] === 'group' && parts[1]) await group(parts[1], params);
      else if (parts[0] === 'message' && parts[1]) await message(parts[1]);
      else if (parts[0] === 'fix' && parts[1] === 'message' && parts[2]) await fixMessage(parts[2]);
      else if (parts[0] === 'fix' && parts[1] === 'group' && parts[2]) await fixGroup(parts[2], params);
      else if (parts[0] === 'job' && parts[1]) await job(parts[1]);
      else if (parts[0] === 'directory') await directoryHistory();
      else { startPage('Not found'); append(main, [h('p', {}, 'No such page. '), link('#/', 'Back to the overview')]); }
    } catch (e) {
      showAlert(problemText(e));
    }
    main.focus({ preventScroll: true });
  }

  // ---------- overview ----------
  async function overview() {
    const gen = startPage('Overview');
    const health = h('section', { class: 'cards', 'aria-label': 'Node' });
    const groups = h('section', { 'aria-labelledby': 'groups-title' });
    const jobs = h('section', { 'aria-labelledby': 'jobs-title' });
    append(main, [health, groups, jobs]);

    const [ready, status, metricsText, grouped, listed, jobList] = await Promise.all([
      fetch('/readyz', { cache: 'no-store', credentials: 'omit' }).then((r) => r.json()).catch(() => null),
      api('/api/v1/status'),
      fetch('/metrics', { cache: 'no-store', credentials: 'omit' }).then((r) => (r.ok ? r.text() : '')).catch(() => ''),
      api('/api/v1/deadletters/groups?by=reason'),
      api('/api/v1/deadletters?limit=100000'),
      api('/api/v1/replay-jobs'),
    ]);
    if (!current(gen)) return;
    const metrics = parseMetrics(metricsText);
    const sum = (name) => metrics.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);
    const isReady = ready && ready.status === 'ready';
    const checks = (ready && ready.checks) || {};
    const actions = (a) => metrics.filter((s) => s.name === 'gateway_operator_actions_total' && s.labels.action === a).reduce((n, s) => n + s.value, 0);

    health.append(
      card('Node', isReady ? badge('ready', 'ok') : badge('not ready', 'bad'),
        h('ul', { class: 'checks' }, Object.entries(checks).map(([name, c]) => h('li', {}, c.ok ? '✓ ' : '✗ ', h('strong', {}, name), ': ', c.detail)))),
      card('In flight', h('span', { class: 'big', 'data-testid': 'in-flight' }, String(status.gateway.registered)),
        h('div', { class: 'muted' }, status.gateway.running + ' running, ' + status.gateway.waiting + ' waiting, at most ' + status.gateway.maxInFlight)),
      card('Delivered', h('span', { class: 'big', 'data-testid': 'delivered' }, String(sum('gateway_messages_delivered_total'))),
        h('div', { class: 'muted' }, 'since start (metrics); ' + sum('gateway_messages_received_total') + ' received')),
      card('Quarantined', h('span', { class: 'big', 'data-testid': 'quarantined' }, String(status.deadLetters.count)),
        h('div', { class: 'muted' }, 'in the dead-letter queue (journal)')),
      card('Held', h('span', { class: 'big', 'data-testid': 'held' }, String(Math.max(0, actions('hold') - actions('release')))),
        h('div', { class: 'muted' }, 'holds less releases since start (metrics)')),
      card('Circuits', circuits(metrics)),
    );

    groups.append(h('h2', { id: 'groups-title' }, 'Quarantine by reason'));
    if (grouped.groups.length === 0) {
      groups.append(h('p', { class: 'muted' }, 'The quarantine is empty.'));
    } else {
      const entries = listed.deadLetters;
      const times = entries.map((e) => Date.parse(e.at)).filter((t) => !isNaN(t));
      // At least the last hour, so a fresh quarantine shows its arrivals at the right end, next to now.
      const to = Math.max(Date.now(), ...times);
      const from = Math.min(to - 3600000, ...times);
      groups.append(h('div', { class: 'table-wrap' }, h('table', { class: 'groups' },
        h('caption', { class: 'muted' }, grouped.total + ' quarantined. Arrivals: 24 bars from ' + new Date(from).toISOString().replace('T', ' ').slice(0, 16) + ' UTC (the oldest entry, or an hour ago) to now.'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Reason'), h('th', { scope: 'col', class: 'num' }, 'Count'), h('th', { scope: 'col' }, 'Oldest'), h('th', { scope: 'col' }, 'Newest'), h('th', { scope: 'col' }, 'Arrivals'))),
        h('tbody', {}, grouped.groups.map((g) => h('tr', { 'data-reason': g.key },
          h('th', { scope: 'row' }, link(groupHref(g.key, { reason: g.key }), g.key), g.key.startsWith('GW-MAP-') ? [' ', badge('mapping fix', 'fix')] : null),
          h('td', { class: 'num', 'data-testid': 'count' }, String(g.count)),
          h('td', {}, when(g.oldest)),
          h('td', {}, when(g.newest)),
          h('td', {}, sparkline(entries.filter((e) => e.reason === g.key).map((e) => Date.parse(e.at)), from, to)))))))); 
    }

    jobs.append(h('h2', { id: 'jobs-title' }, 'Bulk replay jobs'));
    if (jobList.jobs.length === 0) jobs.append(h('p', { class: 'muted' }, 'None since the service started.'));
    else jobs.append(h('ul', {}, jobList.jobs.slice().reverse().map((j) => h('li', {}, link('#/job/' + encodeURIComponent(j.id), j.id), ' ', badge(j.state, j.done ? '' : 'warn'), ' ', j.replayed + ' of ' + j.matched + ' replayed (' + (j.filter || 'all') + ')'))));
  }

  function card(title, ...body) { return h('div', { class: 'card' }, h('h2', {}, title), h('div', {}, body)); }

  function circuits(metrics) {
    const states = metrics.filter((s) => s.name === 'gateway_circuit_state' && s.value === 1);
    if (states.length === 0) return h('p', { class: 'muted' }, 'no transport has reported yet');
    return h('ul', { class: 'checks' }, states.map((s) => h('li', { 'data-transport': s.labels.transport },
      h('strong', {}, s.labels.transport), ': ', badge(s.labels.state, s.labels.state === 'closed' ? 'ok' : 'bad'))));
  }

  /** Arrivals over [from, to] in 24 bars, with a text equivalent. */
  function sparkline(times, from, to) {
    const buckets = new Array(24).fill(0);
    const span = Math.max(1, to - from);
    for (const t of times) buckets[Math.min(23, Math.floor(((t - from) / span) * 24))]++;
    const max = Math.max(...buckets, 1);
    const width = 120, height = 24, bar = width / 24;
    const el = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'spark' });
    const title = svg('title', {});
    title.textContent = 'arrivals per ' + Math.max(1, Math.round(span / 24 / 60000)) + ' min: ' + buckets.join(' ');
    el.append(title);
    buckets.forEach((n, i) => {
      const hgt = n === 0 ? 1 : Math.max(3, (n / max) * height);
      el.append(svg('rect', { x: (i * bar + 0.5).toFixed(1), y: (height - hgt).toFixed(1), width: (bar - 1).toFixed(1), height: hgt.toFixed(1), class: n === 0 ? 'zero' : 'bar' }));
    });
    return el;
  }

  // ---------- a group ----------
  function filterOf(params, reason) {
    const f = {};
    for (const k of FILTER_KEYS) if (params.get(k)) f[k] = params.get(k);
    if (!f.reason && reason !== '*') f.reason = reason;
    return f;
  }
  function apiQuery(f) { return new URLSearchParams(f).toString(); }

  async function group(reason, params) {
    const gen = startPage('Group ' + reason);
    const filter = filterOf(params, reason);
    const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);

    const form = h('form', { class: 'filters', 'aria-label': 'Filters' },
      FILTER_KEYS.map((k) => h('label', {}, h('span', {}, label(k)),
        h('input', { name: k, value: filter[k] || '', placeholder: placeholder(k), inputmode: k === 'since' || k === 'until' ? 'text' : null }))),
      h('div', { class: 'buttons' }, h('button', { type: 'submit', class: 'primary' }, 'Filter'), link(groupHref(reason, { reason }), 'Reset')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const f = {};
      for (const k of FILTER_KEYS) { const v = form.elements[k].value.trim(); if (v) f[k] = v; }
      location.hash = groupHref(reason, f);
    });
    append(main, [form]);

    const data = await api('/api/v1/deadletters?' + apiQuery(filter));
    if (!current(gen)) return;
    const pages = Math.max(1, Math.ceil(data.deadLetters.length / PAGE_SIZE));
    const shown = data.deadLetters.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const isMapping = (filter.reason || '').split(',').some((r) => r.startsWith('GW-MAP-'));

    const actions = h('section', { class: 'actions', 'aria-label': 'Group actions' },
      h('p', { 'data-testid': 'group-count' }, h('strong', {}, String(data.count)), ' message(s) match ', code(data.filter || '(everything)'),
        data.count > data.deadLetters.length ? ' (the first ' + data.deadLetters.length + ' are listed)' : ''),
      h('div', { class: 'buttons' },
        isMapping ? link('#/fix/group/' + encodeURIComponent(reason) + '?' + apiQuery(filter), 'Guided mapping fix…') : null,
        h('button', { type: 'button', onclick: () => bulkDryRun(filter, out) }, 'Dry-run a replay'),
        h('button', { type: 'button', class: 'primary', onclick: () => bulkReplay(filter, data.count) }, 'Replay all ' + data.count + ' (paced)…')));
    const out = h('div', { 'aria-live': 'polite' });

    const table = h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Message', 'Quarantined', 'Recipient', 'Stage', 'Route', 'Error', 'Attempts'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, shown.map((e) => h('tr', { 'data-message-id': e.messageId },
        h('td', {}, link(msgHref(e.messageId), e.messageId.slice(0, 12) + '…')),
        h('td', {}, when(e.at)),
        h('td', {}, failedAddresses(e).join(', ') || '—'),
        h('td', {}, e.stage),
        h('td', {}, e.route || '—'),
        h('td', { class: 'wrap' }, e.reason !== reason ? [code(e.reason), ' '] : null, e.errorMessage),
        h('td', { class: 'num' }, String(e.attempts)))))));

    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
      page > 1 ? link(groupHref(reason, { ...filter, page: page - 1 }), '‹ Previous') : h('span', { class: 'muted' }, '‹ Previous'),
      h('span', {}, ' Page ' + page + ' of ' + pages + ' '),
      page < pages ? link(groupHref(reason, { ...filter, page: page + 1 }), 'Next ›') : h('span', { class: 'muted' }, 'Next ›'));
    append(main, [actions, out, shown.length ? table : h('p', { class: 'muted' }, 'Nothing matches.'), pages > 1 ? pager : null]);
  }

  function label(k) { return { reason: 'Reason codes', stage: 'Stage', route: 'Route', domain: 'Recipient domain', since: 'Since (UTC, ISO 8601)', until: 'Until (UTC, ISO 8601)' }[k]; }
  function placeholder(k) { return { reason: 'GW-MAP-BLANK-DISPLAY-NAME', stage: 'mapping', route: 'profs', domain: 'contoso.com', since: '2026-11-23T00:00:00Z', until: '2026-11-24T00:00:00Z' }[k]; }

  function failedAddresses(entry) {
    const list = (entry.recipients || []).map((r) => r.address);
    if (list.length === 0 && entry.recipient) list.push(entry.recipient);
    return list;
  }

  async function bulkDryRun(filter, out) {
    clearAlert();
    out.replaceChildren(h('p', { class: 'muted' }, 'Dry run…'));
    try {
      const r = await api('/api/v1/deadletters/replay-preview?' + apiQuery(filter));
      out.replaceChildren(h('section', { class: 'dry-run', 'aria-label': 'Dry run' },
        h('h2', {}, 'Dry run (nothing changed)'),
        h('p', {}, r.examined + ' of ' + r.matched + ' examined: ', h('strong', {}, r.wouldMap + ' would map'), ', ' + r.wouldNotMap + ' would fail again', r.leftQuarantine ? ', ' + r.leftQuarantine + ' left the quarantine meanwhile' : ''),
        previewTable(r.previews)));
    } catch (e) { out.replaceChildren(); showAlert(problemText(e)); }
  }

  async function bulkReplay(filter, count) {
    const why = await confirmAction('Replay ' + count + ' message(s) matching ' + apiQuery(filter) + ', paced by the service. Replayed messages that fail again come back to the quarantine.', 'Replay', false);
    if (why === null) return;
    try {
      const j = await api('/api/v1/deadletters/replay?' + apiQuery(filter), { method: 'POST', body: why ? { why } : {} });
      location.hash = '#/job/' + encodeURIComponent(j.id);
    } catch (e) { showAlert(problemText(e)); }
  }

  // ---------- a replay job ----------
  async function job(id) {
    const gen = startPage('Replay job ' + id);
    const box = h('section', { 'aria-live': 'polite', class: 'job' });
    append(main, [box]);
    const draw = async () => {
      let j;
      try { j = await api('/api/v1/replay-jobs/' + encodeURIComponent(id)); } catch (e) { showAlert(problemText(e)); return; }
      if (!current(gen)) return;
      box.replaceChildren(
        h('p', {}, badge(j.state, j.done ? 'ok' : 'warn'), ' ', code(j.filter || 'all'), ' by ' + j.by + ': ' + j.why),
        h('label', { for: 'job-progress' }, j.replayed + ' of ' + j.matched + ' replayed, ' + j.remaining + ' remaining, ' + j.outstanding + ' outstanding (at most ' + j.outstandingBound + ', ' + j.rate + '/s)'),
        h('progress', { id: 'job-progress', max: Math.max(1, j.matched), value: j.replayed }),
        h('p', {}, 'Outcomes so far: ', Object.keys(j.outcomes).length ? Object.entries(j.outcomes).map(([k, v]) => k + ' ' + v).join(', ') : 'none yet'),
        j.skipped.length ? h('details', {}, h('summary', {}, j.skipped.length + ' skipped'), h('ul', {}, j.skipped.map((s) => h('li', {}, link(msgHref(s.messageId), s.messageId), ' ', code(s.code), ' ', s.detail)))) : null,
        j.failed.length ? h('details', { open: true }, h('summary', {}, j.failed.length + ' failed'), h('ul', {}, j.failed.map((s) => h('li', {}, link(msgHref(s.messageId), s.messageId), ' ', code(s.code), ' ', s.detail)))) : null,
        h('p', {}, 'Started ', when(j.createdAt), j.finishedAt ? [' · finished ', when(j.finishedAt)] : null),
        j.done ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
          try { await api('/api/v1/replay-jobs/' + encodeURIComponent(id), { method: 'DELETE' }); draw(); } catch (e) { showAlert(problemText(e)); }
        } }, 'Cancel the job'));
      if (j.done) timers.forEach(clearInterval);
    };
    await draw();
    every(1000, draw);
  }

  // ---------- a message ----------
  async function message(id) {
    const gen = startPage('Message ' + id);
    const body = h('div', {});
    append(main, [body]);
    const final = ['delivered', 'dead-lettered', 'purged', 'held', 'abandoned'];
    let lastKey = null;
    let lastStatus = null;
    // Follows the message for a while after the page opens and after each action (a replay is answered before it runs).
    let followUntil = Date.now() + 20000;
    const draw = async (force) => {
      const m = await api('/api/v1/messages/' + encodeURIComponent(id));
      if (!current(gen)) return;
      const key = [m.status, m.quarantined, m.replays, m.timeline.length, !!m.held, !!m.purged, m.contentAvailable].join('|');
      if (!force && key === lastKey) return;
      lastKey = key;
      lastStatus = m.status;
      body.replaceChildren(...messageView(m, async () => { followUntil = Date.now() + 60000; await draw(true); }));
    };
    await draw(true);
    every(1500, async () => {
      if (Date.now() < followUntil || (lastStatus && !final.includes(lastStatus))) {
        try { await draw(false); } catch (_) { /* the next action shows it */ }
      }
    });
  }

  function messageView(m, redraw) {
    const dl = m.deadLetter;
    const mapping = lastMapping(m.timeline);
    const status = h('p', { class: 'status' }, 'Status ', badge(m.status, m.status === 'delivered' ? 'ok' : m.quarantined ? 'bad' : 'warn', ), m.replays ? ' · replays ' + m.replays : '',
      m.held ? [' · held by ' + m.held.by + ': ' + m.held.why] : null, m.purged ? [' · purged by ' + m.purged.by + ': ' + m.purged.why] : null);
    status.setAttribute('data-testid', 'message-status');

    const summary = h('dl', { class: 'summary' },
      h('dt', {}, 'Subject'), h('dd', { 'data-testid': 'subject' }, m.subject === null || m.subject === undefined ? h('span', { class: 'muted' }, '(none)') : m.subject),
      h('dt', {}, 'From'), h('dd', {}, address(m.sender)),
      h('dt', {}, 'Message-ID'), h('dd', { 'data-testid': 'source-message-id' }, headerOf(m.timeline, 'sourceMessageId') || '—'),
      h('dt', {}, 'Return-Path'), h('dd', {}, headerOf(m.timeline, 'returnPath') || '—'),
      h('dt', {}, 'Source'), h('dd', {}, m.source || '—'),
      h('dt', {}, 'Delivered to'), h('dd', {}, (m.deliveredTo || []).join(', ') || '—'));

    const recipients = h('section', { 'aria-labelledby': 'rcpt-title' }, h('h2', { id: 'rcpt-title' }, 'Recipients'),
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Role', 'Address', 'Display name', 'Mapped to', 'Outcome'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, (m.recipients || []).map((r) => {
          const o = outcomeOf(r, m, mapping);
          return h('tr', { 'data-recipient': r.address }, h('td', {}, r.role), h('td', {}, r.address), h('td', {}, literal(r.displayName)), h('td', {}, o.target || '—'), h('td', {}, badge(o.kind, o.kind === 'delivered' ? 'ok' : o.kind === 'failed' ? 'bad' : 'warn'), o.code ? [' ', code(o.code)] : null, o.detail ? [' ', o.detail] : null));
        })))));

    const context = dl ? h('section', { 'aria-labelledby': 'dl-title', class: 'deadletter' }, h('h2', { id: 'dl-title' }, 'Dead-letter context'),
      h('dl', { class: 'summary' },
        h('dt', {}, 'Reason'), h('dd', {}, code(dl.reason), dl.partial ? ' (partial: other recipients went on)' : ''),
        h('dt', {}, 'Stage'), h('dd', {}, dl.stage),
        h('dt', {}, 'Error'), h('dd', {}, (dl.errorType ? dl.errorType + ': ' : '') + (dl.errorMessage || '')),
        h('dt', {}, 'Attempts'), h('dd', {}, String(dl.attempts)),
        h('dt', {}, 'When'), h('dd', {}, when(dl.at)))) : null;

    const reason = h('input', { id: 'action-reason', type: 'text', maxlength: 1000, placeholder: 'why (kept in the journal)' });
    const act = (action) => async () => {
      clearAlert();
      try {
        let why = reason.value.trim();
        if (action === 'purge') {
          const w = await confirmAction('Purge message ' + m.messageId + '? Its content is deleted and it leaves the quarantine for good; the timeline stays.', 'Purge', true);
          if (w === null) return;
          why = w;
        }
        const r = await api('/api/v1/messages/' + encodeURIComponent(m.messageId) + '/' + action, { method: 'POST', body: why ? { why } : {} });
        showAlert(r.code + ': ' + r.detail, 'info');
        await redraw();
      } catch (e) { showAlert(problemText(e)); }
    };
    const canReplay = m.quarantined && !m.held && !m.purged;
    const actions = h('section', { 'aria-labelledby': 'act-title', class: 'actions' }, h('h2', { id: 'act-title' }, 'Actions'),
      h('label', { for: 'action-reason' }, 'Reason'), reason,
      h('div', { class: 'buttons' },
        h('button', { type: 'button', disabled: !m.contentAvailable, onclick: () => exportEml(m.messageId) }, 'Export .eml'),
        h('button', { type: 'button', disabled: !!m.held || !!m.purged || m.status === 'delivered', onclick: act('hold') }, 'Hold'),
        h('button', { type: 'button', disabled: !m.held, onclick: act('release') }, 'Release'),
        h('button', { type: 'button', disabled: !canReplay, onclick: act('replay') }, 'Replay'),
        h('button', { type: 'button', disabled: !m.quarantined || !!m.purged, class: 'danger', onclick: act('purge') }, 'Purge…'),
        canReplay ? link('#/fix/message/' + encodeURIComponent(m.messageId), 'Dry-run / guided fix…') : null));

    const timeline = h('section', { 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, 'Timeline'),
      h('ol', { class: 'timeline', 'data-testid': 'timeline' }, m.timeline.map((t) => h('li', { 'data-type': t.type },
        h('div', { class: 'tl-head' }, when(t.at), ' ', h('strong', {}, t.type.replace(/\.v\d+$/, '')), t.event && t.event.stage ? [' ', badge(t.event.stage, '')] : null),
        h('div', { class: 'tl-body' }, t.summary),
        h('details', {}, h('summary', {}, 'event #' + t.sequenceNr), h('pre', {}, JSON.stringify(t.event, null, 2)))))));

    return [status, summary, context, actions, recipients, timeline].filter(Boolean);
  }

  function address(a) {
    if (!a) return '—';
    return h('span', {}, a.address, ' ', h('span', { class: 'muted' }, 'display name '), literal(a.displayName));
  }

  function headerOf(timeline, field) {
    const accepted = timeline.find((t) => t.type.startsWith('message-accepted'));
    return accepted && accepted.event.envelope ? accepted.event.envelope[field] : null;
  }

  function lastMapping(timeline) {
    let mapped = null;
    for (const t of timeline) if (t.type.startsWith('recipients-mapped')) mapped = t.event;
    return mapped;
  }

  function outcomeOf(r, m, mapping) {
    const same = (a, b) => (a || '').toLowerCase() === (b || '').toLowerCase();
    const mappedAs = mapping && (mapping.recipients || []).find((x) => same(x.source, r.address));
    const target = mappedAs && mappedAs.target;
    if (target && (m.deliveredTo || []).some((d) => same(d, target))) return { kind: 'delivered', target };
    const failure = m.deadLetter && m.status !== 'delivered' && (m.deadLetter.recipients || []).find((f) => same(f.address, r.address) || (target && same(f.address, target)));
    if (failure) return { kind: 'failed', target, code: failure.reason, detail: failure.detail };
    if (m.deadLetter && m.quarantined && (!m.deadLetter.recipients || m.deadLetter.recipients.length === 0)) return { kind: 'failed', target, code: m.deadLetter.reason, detail: m.deadLetter.errorMessage };
    return { kind: m.status === 'delivered' ? 'delivered' : 'pending', target };
  }

  async function exportEml(id) {
    try {
      const res = await api('/api/v1/messages/' + encodeURIComponent(id) + '/eml', { raw: true });
      const blob = await res.blob();
      const url = URL.createObjectURL(new Blob([blob], { type: 'message/rfc822' }));
      const a = h('a', { href: url, download: id + '.eml' });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) { showAlert(problemText(e)); }
  }

  /** Resolves to the reason typed (required when asked), or null when cancelled. */
  function confirmAction(text, okLabel, reasonRequired) {
    const dialog = document.getElementById('confirm-dialog');
    const form = document.getElementById('confirm-form');
    const reason = document.getElementById('confirm-reason');
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = okLabel;
    document.getElementById('confirm-title').textContent = okLabel + '?';
    reason.value = '';
    reason.required = reasonRequired;
    return new Promise((resolve) => {
      const cancel = document.getElementById('confirm-cancel');
      const finish = (value) => {
        form.removeEventListener('submit', submit);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(value);
      };
      const submit = (ev) => { ev.preventDefault(); if (reasonRequired && !reason.value.trim()) { reason.focus(); return; } finish(reason.value.trim()); };
      const onCancel = (ev) => { ev.preventDefault(); finish(null); };
      form.addEventListener('submit', submit);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      reason.focus();
    });
  }

  // ---------- guided mapping fix ----------
  async function fixMessage(id) {
    const gen = startPage('Guided fix for ' + id, link(msgHref(id), 'Message'));
    const m = await api('/api/v1/messages/' + encodeURIComponent(id));
    if (!current(gen)) return;
    const failures = unmapped([{ messageId: m.messageId, reason: m.deadLetter && m.deadLetter.reason, recipient: m.deadLetter && m.deadLetter.recipient, recipients: m.deadLetter && m.deadLetter.recipients, stage: m.deadLetter && m.deadLetter.stage }], m.recipients);
    fixForm(gen, failures, [m.messageId], () => { location.hash = msgHref(id); });
  }

  async function fixGroup(reason, params) {
    const filter = filterOf(params, reason);
    const gen = startPage('Guided fix for ' + reason, link(groupHref(reason, filter), 'Group ' + reason));
    const data = await api('/api/v1/deadletters?' + apiQuery(filter) + '&limit=100');
    if (!current(gen)) return;
    const failures = unmapped(data.deadLetters, []);
    fixForm(gen, failures, data.deadLetters.map((e) => e.messageId), () => { location.hash = groupHref(reason, filter); });
  }

  /** The recipients that could not be mapped (GW-MAP-* at the mapping stage), one per address, with the messages they hold up. */
  function unmapped(entries, envelopeRecipients) {
    const byAddress = new Map();
    for (const e of entries) {
      const list = (e.recipients && e.recipients.length ? e.recipients : (e.recipient ? [{ address: e.recipient, reason: e.reason, stage: e.stage, detail: '' }] : []));
      for (const f of list) {
        if (!(f.reason || '').startsWith('GW-MAP-') || f.stage !== 'mapping') continue;
        const key = f.address.toLowerCase();
        const known = byAddress.get(key) || { address: f.address, reason: f.reason, detail: f.detail, messages: [], displayName: undefined };
        known.messages.push(e.messageId);
        const env = envelopeRecipients.find((r) => r.address.toLowerCase() === key);
        if (env) known.displayName = env.displayName;
        byAddress.set(key, known);
      }
    }
    return [...byAddress.values()];
  }

  function fixForm(gen, failures, messageIds, back) {
    if (failures.length === 0) {
      append(main, [h('p', {}, 'No recipient of these messages failed with a mapping reason (GW-MAP-*): a directory entry will not help here. Use a dry-run replay instead.')]);
      return;
    }
    const intro = h('p', {}, 'Type the PROFS USERID and NODE (1–8 letters A–Z or digits) for each recipient that could not be mapped. The console shows the dry run before anything is written; on confirmation it adds the entries to the directory (journaled with your name and reason) and replays the messages that would then map.');
    const rows = failures.map((f, i) => ({
      f,
      userId: h('input', { id: 'uid-' + i, name: 'userId', required: true, maxlength: 8, pattern: '[A-Za-z0-9]{1,8}', autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'addr-' + i, 'data-address': f.address }),
      node: h('input', { id: 'node-' + i, name: 'node', required: true, maxlength: 8, pattern: '[A-Za-z0-9]{1,8}', autocapitalize: 'characters', spellcheck: 'false', 'aria-describedby': 'addr-' + i, 'data-address': f.address }),
    }));
    const why = h('input', { id: 'fix-why', type: 'text', required: true, maxlength: 1000, value: '' });
    const out = h('div', { 'aria-live': 'polite', id: 'fix-result' });
    const dryRun = h('button', { type: 'submit', class: 'primary' }, 'Dry run');
    const form = h('form', { class: 'fix', 'aria-label': 'Directory entries' },
      intro,
      h('div', { class: 'table-wrap' }, h('table', {},
        h('thead', {}, h('tr', {}, ['Recipient', 'Display name', 'Failed with', 'Messages', 'USERID', 'NODE'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows.map((r, i) => h('tr', { 'data-recipient': r.f.address },
          h('td', { id: 'addr-' + i }, r.f.address),
          h('td', {}, r.f.displayName === undefined ? h('span', { class: 'muted' }, 'see message') : literal(r.f.displayName)),
          h('td', {}, code(r.f.reason), r.f.detail ? [' ', h('span', { class: 'muted' }, r.f.detail)] : null),
          h('td', { class: 'num' }, String(r.f.messages.length)),
          h('td', {}, h('label', { class: 'sr-only', for: 'uid-' + i }, 'USERID for ' + r.f.address), r.userId),
          h('td', {}, h('label', { class: 'sr-only', for: 'node-' + i }, 'NODE for ' + r.f.address), r.node)))))),
      h('label', { for: 'fix-why' }, 'Reason (kept in the journal with the old and the new entry)'), why,
      h('div', { class: 'buttons' }, dryRun));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearAlert();
      const entries = rows.filter((r) => r.userId.value.trim() || r.node.value.trim())
        .map((r) => ({ address: r.f.address, userId: r.userId.value.trim().toUpperCase(), node: r.node.value.trim().toUpperCase() }));
      if (entries.length === 0) { showAlert('Type a USERID and NODE for at least one recipient.'); return; }
      out.replaceChildren(h('p', { class: 'muted' }, 'Dry run…'));
      try {
        const r = await api('/api/v1/directory/dry-run', { method: 'POST', body: { entries, messageIds } });
        if (!current(gen)) return;
        out.replaceChildren(dryRunView(r, entries, why, messageIds, back));
        out.querySelector('h2').focus();
      } catch (e) { out.replaceChildren(); showAlert(problemText(e)); }
    });
    append(main, [form, out]);
    rows[0].userId.focus();
  }

  function dryRunView(r, entries, why, messageIds, back) {
    const previews = r.previews.filter((p) => !p.skipped);
    const wouldMap = previews.filter((p) => p.wouldMap).map((p) => p.messageId);
    const apply = h('button', { type: 'button', class: 'primary', id: 'apply-fix' }, 'Write ' + entries.length + ' entr' + (entries.length === 1 ? 'y' : 'ies') + ' and replay ' + wouldMap.length + ' message(s)');
    const progress = h('div', { 'aria-live': 'polite' });
    apply.addEventListener('click', async () => {
      clearAlert();
      const reason = why.value.trim();
      if (!reason) { showAlert('Give a reason: it is kept in the journal with the change.'); why.focus(); return; }
      apply.disabled = true;
      try {
        const set = await api('/api/v1/directory/entries', { method: 'POST', body: { entries, why: reason } });
        progress.replaceChildren(h('p', {}, code(set.code), ' ' + set.changed + ' entr' + (set.changed === 1 ? 'y' : 'ies') + ' written by ' + set.by + (set.reloadError ? '; the routes were NOT reloaded: ' + set.reloadError : '; routes reloaded')));
        const bar = h('progress', { max: Math.max(1, wouldMap.length), value: 0, id: 'fix-progress' });
        progress.append(h('label', { for: 'fix-progress' }, 'Replaying'), bar);
        let done = 0;
        const failed = [];
        for (const id of wouldMap) {
          try {
            await api('/api/v1/messages/' + encodeURIComponent(id) + '/replay', { method: 'POST', body: { why: 'guided mapping fix: ' + reason } });
          } catch (e) { failed.push(id + ': ' + problemText(e)); }
          bar.value = ++done;
        }
        progress.append(h('p', { 'data-testid': 'fix-done' }, done - failed.length + ' replayed', failed.length ? '; ' + failed.length + ' not: ' + failed.join('; ') : '', ' · ', messageIds.length === 1 ? link(msgHref(messageIds[0]), 'Follow the message') : h('button', { type: 'button', class: 'link', onclick: back }, 'Back to the group')));
      } catch (e) { apply.disabled = false; showAlert(problemText(e)); }
    });
    return h('section', { class: 'dry-run', 'aria-label': 'Dry run' },
      h('h2', { tabindex: '-1' }, 'Dry run: nothing is written yet'),
      h('h3', {}, 'Directory'),
      h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'directory-changes' },
        h('thead', {}, h('tr', {}, ['Address', 'Route', 'Old entry', 'New entry', 'File'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, r.changes.map((c) => h('tr', { 'data-address': c.address },
          h('td', {}, c.address), h('td', {}, c.route), h('td', {}, c.old ? c.old.target : h('span', { class: 'muted' }, 'none')),
          h('td', {}, h('strong', {}, c.new.target), c.unchanged ? ' (unchanged)' : ''), h('td', { class: 'wrap' }, c.file)))))),
      h('h3', {}, 'Replay of the affected messages with the new entries'),
      h('p', {}, wouldMap.length + ' of ' + previews.length + ' would map', r.previews.length > previews.length ? '; ' + (r.previews.length - previews.length) + ' cannot be replayed' : ''),
      previewTable(previews),
      r.previews.filter((p) => p.skipped).map((p) => h('p', {}, link(msgHref(p.messageId), p.messageId), ' ', code(p.skipped), ' ', p.detail)),
      h('div', { class: 'buttons' }, apply, h('button', { type: 'button', onclick: back }, 'Cancel')),
      progress);
  }

  function previewTable(previews) {
    const rows = [];
    for (const p of previews) {
      for (const a of p.addresses) {
        rows.push(h('tr', { 'data-message-id': p.messageId, 'data-address': a.address, class: a.changed ? 'changed' : '' },
          h('td', {}, link(msgHref(p.messageId), p.messageId.slice(0, 12) + '…')),
          h('td', {}, a.role), h('td', {}, a.address),
          h('td', { 'data-testid': 'old' }, outcome(a.old)),
          h('td', { 'data-testid': 'new' }, outcome(a.new), a.changed ? [' ', badge('changed', 'fix')] : null)));
      }
    }
    return h('div', { class: 'table-wrap' }, h('table', { 'data-testid': 'preview' },
      h('thead', {}, h('tr', {}, ['Message', 'Role', 'Address', 'Old mapping', 'New mapping'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)));
  }

  function outcome(o) {
    if (!o) return '—';
    if (o.kind === 'failed') return h('span', {}, badge('failed', 'bad'), ' ', code(o.code || ''), ' ', o.detail || '');
    if (o.kind === 'unknown') return h('span', { class: 'muted' }, 'not mapped yet');
    return h('span', {}, badge(o.kind, 'ok'), ' ', h('strong', {}, o.target || ''));
  }

  // ---------- directory history ----------
  async function directoryHistory() {
    const gen = startPage('Directory changes');
    const r = await api('/api/v1/directory/history');
    if (!current(gen)) return;
    if (r.history.length === 0) { append(main, [h('p', { class: 'muted' }, 'No directory entry was changed through the admin API.')]); return; }
    append(main, [h('div', { class: 'table-wrap' }, h('table', {},
      h('thead', {}, h('tr', {}, ['When', 'Who', 'Address', 'Old', 'New', 'Why'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, r.history.slice().reverse().map((t) => h('tr', {},
        h('td', {}, when(t.at)), h('td', {}, t.event.by), h('td', {}, t.event.address),
        h('td', {}, t.event.old ? t.event.old.userId + '@' + t.event.old.node : h('span', { class: 'muted' }, 'none')),
        h('td', {}, t.event.new.userId + '@' + t.event.new.node), h('td', { class: 'wrap' }, t.event.why))))))]);
  }

  // ---------- start ----------
  // The token dialog cannot be dismissed without a token (Esc): every read needs it.
  document.getElementById('token-dialog').addEventListener('cancel', (ev) => ev.preventDefault());
  document.getElementById('forget-token').addEventListener('click', () => { session.token = null; render(); });
  window.addEventListener('hashchange', render);
  updateSession();
  render();
})();
