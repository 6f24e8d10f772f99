// storystream dashboard: a single page on the tenant port, same origin as /v1. Everything a tenant or DataStoryBot
// wrote (file names, prompts, narratives, captions, problem details) reaches the page only as text nodes or through
// markdown.mjs's allow-listed DOM builder; this file never assigns innerHTML. The API key lives in sessionStorage
// (gone with the tab), never in a URL or cookie; an embed token arrives in the URL fragment (#token=…, never sent to
// a server) and is moved to sessionStorage at once, the fragment replaced.
import { render as renderMarkdown } from './markdown.mjs';

const KEY = 'storystream.key';
const TOKEN = 'storystream.token';
const PROMPTS = 'storystream.prompts';
const TERMINAL = new Set(['completed', 'failed', 'rejected', 'cancelled']);
const main = document.getElementById('main');
const statusLine = document.getElementById('status');
let generation = 0; // bumped on every navigation: long-poll loops of an old page stop

// ---- small DOM helpers (text only) ----------------------------------------------------------------------------

function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'href' && !String(value).startsWith('#')) throw new Error('internal links only');
    else if (name in el && name !== 'list') el[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// replaceChildren does not flatten arrays: fill() does, as h() does
function fill(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

function say(message, error = false) {
  statusLine.textContent = message;
  statusLine.classList.toggle('error', error);
}

function page(title, ...children) {
  fill(main, h('h1', { tabindex: -1 }, title), ...children);
  document.title = title + ' · storystream';
  main.querySelector('h1').focus();
}

function table(headers, rows, caption) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', { class: 'hint' }, caption) : null,
    h('thead', {}, h('tr', {}, headers.map(([label, cls]) => h('th', { scope: 'col', class: cls }, label)))),
    h('tbody', {}, rows)));
}

const bytes = n => n == null ? '' : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;
const when = iso => iso ? new Date(iso).toLocaleString() : '';
function money(micros, currency) {
  if (micros == null) return '';
  const value = Number(micros) / 1e6;
  // micro-units are exact: show every digit there is (at least the currency's two)
  try { return new Intl.NumberFormat(undefined, { style: 'currency', currency: currency || 'USD', minimumFractionDigits: 2, maximumFractionDigits: 6 }).format(value); }
  catch { return `${value.toFixed(2)} ${currency ?? ''}`; }
}
function stateBadge(job) {
  const text = job.state === 'queued' && job.position != null ? `queued (position ${job.position})` : job.state;
  return h('span', { class: `state state-${job.state}`, dataset: { state: job.state } }, text);
}

// ---- credentials ------------------------------------------------------------------------------------------------

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), c => c.charCodeAt(0))));
  } catch { return null; }
}

function session() {
  const token = sessionStorage.getItem(TOKEN);
  if (token) {
    const claims = claimsOf(token) ?? {};
    const scopes = String(claims.scope ?? '').split(' ');
    return { credential: token, embed: true, jobs: claims.jobs ?? [], can: {
      files: false, results: scopes.includes('results:read'), usage: scopes.includes('usage:read'),
      statements: scopes.includes('statements:read') } };
  }
  const key = sessionStorage.getItem(KEY);
  return key ? { credential: key, embed: false, jobs: [], can: { files: true, results: true, usage: true, statements: true } } : null;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(TOKEN);
  generation++;
  if (location.hash !== '#/') history.replaceState(null, '', location.pathname + '#/');
  route();
  if (message) say(message, true);
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, { method = 'GET', body, json, raw = false } = {}) {
  const s = session();
  const headers = { Authorization: `Bearer ${s?.credential ?? ''}` };
  if (json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(json); }
  const response = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    if (response.status === 401) {
      signOut(s?.embed ? 'This embedded view has expired or was revoked.' : 'The API key was not accepted. Sign in again.');
    }
    throw new ApiError(response.status, problem);
  }
  return raw ? response : response.status === 204 ? null : response.json();
}

function prompts() {
  try { return JSON.parse(sessionStorage.getItem(PROMPTS) ?? '{}'); } catch { return {}; }
}

// ---- pages ------------------------------------------------------------------------------------------------------

function signInPage() {
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', spellcheck: false, required: true,
    'aria-describedby': 'api-key-hint' });
  const form = h('form', { class: 'card', onsubmit: async event => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    try {
      await api('/v1/usage');
    } catch (e) {
      if (e.status === 401) return;
      // a key without usage:read is still a key
    }
    say('Signed in.');
    location.hash = '#/files';
  } },
  h('label', { for: 'api-key' }, 'API key'), input,
  h('p', { id: 'api-key-hint', class: 'hint' }, 'Your tenant API key (ssk_…). It stays in this tab only and is forgotten when the tab closes.'),
  h('button', { type: 'submit' }, 'Sign in'));
  page('Sign in', form);
}

async function filesPage(gen) {
  const progress = h('progress', { id: 'upload-progress', max: 100, value: 0, hidden: true, 'aria-label': 'Upload progress' });
  const input = h('input', { id: 'file-input', type: 'file', accept: '.csv,text/csv' });
  const drop = h('label', { class: 'drop', for: 'file-input' }, 'Drop a CSV file here, or choose one', input);
  const list = h('div', { id: 'file-list' }, h('p', { class: 'hint' }, 'Loading…'));
  const upload = file => {
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/v1/files');
    xhr.setRequestHeader('Authorization', `Bearer ${session().credential}`);
    progress.hidden = false;
    progress.value = 0;
    xhr.upload.onprogress = e => { if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = () => {
      progress.value = 100;
      let reply = null;
      try { reply = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) { say(`Uploaded ${reply.name}.`); refresh(); }
      else if (xhr.status === 401) signOut('The API key was not accepted. Sign in again.');
      else say(`Upload refused: ${reply?.detail ?? xhr.status}`, true);
      input.value = '';
    };
    xhr.onerror = () => say('Upload failed: the connection broke.', true);
    xhr.send(form);
  };
  input.addEventListener('change', () => upload(input.files[0]));
  drop.addEventListener('dragover', e => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => { e.preventDefault(); drop.classList.remove('over'); upload(e.dataTransfer.files[0]); });

  async function refresh() {
    let files;
    try { files = (await api('/v1/files')).files ?? []; } catch (e) { list.replaceChildren(h('p', {}, `Could not list files: ${e.message}`)); return; }
    if (gen !== generation) return;
    if (files.length === 0) { list.replaceChildren(h('p', {}, 'No files yet.')); return; }
    list.replaceChildren(table([['Name'], ['Rows', 'num'], ['Columns', 'num hide-narrow'], ['Size', 'num hide-narrow'], ['Uploaded', 'hide-narrow'], ['Actions']],
      files.map(f => h('tr', { dataset: { fileId: f.id } },
        h('td', { class: 'file-name' }, f.name),
        h('td', { class: 'num' }, String(f.rows)), h('td', { class: 'num hide-narrow' }, String(f.columns)),
        h('td', { class: 'num hide-narrow' }, bytes(f.size)), h('td', { class: 'hide-narrow' }, when(f.uploadedAt)),
        h('td', {}, h('a', { href: `#/new?file=${encodeURIComponent(f.id)}`, 'aria-label': `Analyse ${f.name}` }, 'Analyse'), ' ',
          h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${f.name}`, onclick: async () => {
            if (!confirm(`Delete ${f.name}?`)) return;
            try { await api(`/v1/files/${encodeURIComponent(f.id)}`, { method: 'DELETE' }); say(`Deleted ${f.name}.`); refresh(); }
            catch (e) { say(`Could not delete: ${e.message}`, true); }
          } }, 'Delete'))))));
  }
  page('Files', h('section', { class: 'card', 'aria-labelledby': 'upload-heading' }, h('h2', { id: 'upload-heading' }, 'Upload'), drop, progress),
    h('section', { 'aria-labelledby': 'list-heading' }, h('h2', { id: 'list-heading' }, 'Your files'), list));
  await refresh();
}

async function newAnalysisPage(gen, params) {
  const select = h('select', { id: 'analysis-file', required: true });
  const steering = h('textarea', { id: 'steering', maxLength: 2000, 'aria-describedby': 'steering-hint' });
  const refinement = h('textarea', { id: 'refinement', maxLength: 2000, 'aria-describedby': 'refinement-hint' });
  const form = h('form', { class: 'card', onsubmit: async event => {
    event.preventDefault();
    const body = { fileId: select.value };
    if (steering.value.trim()) body.steeringPrompt = steering.value;
    if (refinement.value.trim()) body.refinementPrompt = refinement.value;
    try {
      const job = await api('/v1/analyses', { method: 'POST', json: body });
      const all = prompts();
      all[job.jobId] = { steering: body.steeringPrompt ?? null, refinement: body.refinementPrompt ?? null,
        file: select.selectedOptions[0]?.textContent ?? '' };
      sessionStorage.setItem(PROMPTS, JSON.stringify(all));
      say('Analysis submitted.');
      location.hash = `#/job/${encodeURIComponent(job.jobId)}`;
    } catch (e) { if (e.status !== 401) say(`Not submitted: ${e.message}`, true); }
  } },
  h('label', { for: 'analysis-file' }, 'File'), select,
  h('label', { for: 'steering' }, 'Steering prompt (optional)'), steering,
  h('p', { id: 'steering-hint', class: 'hint' }, 'What the story angles should be about, e.g. “churn by region”.'),
  h('label', { for: 'refinement' }, 'Refinement prompt (optional)'), refinement,
  h('p', { id: 'refinement-hint', class: 'hint' }, 'How the chosen story should be written up.'),
  h('button', { type: 'submit', id: 'submit-analysis' }, 'Run analysis'));
  page('New analysis', form);
  try {
    const files = (await api('/v1/files')).files ?? [];
    if (gen !== generation) return;
    select.replaceChildren(...files.map(f => h('option', { value: f.id, selected: f.id === params.get('file') }, f.name)));
    if (files.length === 0) say('Upload a file first.');
  } catch (e) { if (e.status !== 401) say(`Could not list files: ${e.message}`, true); }
}

// Follows a job through the long-poll until it ends or the page changes; onChange gets every new view.
async function follow(jobId, gen, onChange) {
  let job = null;
  let failures = 0;
  while (gen === generation && (job === null || !TERMINAL.has(job.state))) {
    try {
      job = await api(`/v1/analyses/${encodeURIComponent(jobId)}${job === null ? '' : '?wait=30s'}`);
      failures = 0;
      if (gen === generation) onChange(job);
    } catch (e) {
      if (e.status === 401 || e.status === 404 || ++failures > 5) throw e;
      await new Promise(r => setTimeout(r, 1000 * failures));
    }
  }
  return job;
}

function cancelButton(job, s) {
  if (s.embed || TERMINAL.has(job.state)) return null;
  return h('button', { type: 'button', class: 'danger', 'aria-label': `Cancel ${job.jobId}`, onclick: async e => {
    e.target.disabled = true;
    try { await api(`/v1/analyses/${encodeURIComponent(job.jobId)}/cancel`, { method: 'POST' }); say('Cancelled.'); }
    catch (err) { say(err.status === 409 ? 'The job had already ended.' : `Could not cancel: ${err.message}`, true); }
  } }, 'Cancel');
}

async function jobsPage(gen) {
  const s = session();
  const body = h('div', {}, h('p', { class: 'hint' }, 'Loading…'));
  page('Jobs', body);
  let jobs;
  try {
    jobs = s.jobs.length > 0
      ? (await Promise.all(s.jobs.map(id => api(`/v1/analyses/${encodeURIComponent(id)}`).catch(() => null)))).filter(Boolean)
      : (await api('/v1/analyses?limit=50')).jobs ?? [];
  } catch (e) { if (e.status !== 401) body.replaceChildren(h('p', {}, `Could not list jobs: ${e.message}`)); return; }
  if (gen !== generation) return;
  if (jobs.length === 0) { body.replaceChildren(h('p', {}, 'No analyses yet.')); return; }
  const asked = prompts();
  const row = job => h('tr', { dataset: { jobId: job.jobId } },
    h('td', {}, h('a', { href: `#/job/${encodeURIComponent(job.jobId)}` }, job.jobId)),
    h('td', {}, stateBadge(job), job.reason ? ` ${job.reason}` : ''),
    h('td', { class: 'hide-narrow' }, asked[job.jobId]?.steering ?? ''),
    h('td', { class: 'hide-narrow' }, when(job.submittedAt)),
    h('td', {}, cancelButton(job, s)));
  const rows = jobs.map(row);
  body.replaceChildren(table([['Job'], ['State'], ['Prompt', 'hide-narrow'], ['Submitted', 'hide-narrow'], ['']], rows));
  jobs.forEach((job, i) => {
    if (!TERMINAL.has(job.state)) {
      follow(job.jobId, gen, changed => { const next = row(changed); rows[i].replaceWith(next); rows[i] = next; }).catch(() => {});
    }
  });
}

async function jobPage(gen, jobId) {
  const s = session();
  const asked = prompts()[jobId];
  const facts = h('dl', { class: 'facts' });
  const actions = h('p', {});
  const result = h('div', { id: 'result' });
  const card = h('section', { class: 'card', hidden: true }, facts, actions);
  page(`Analysis ${jobId}`, card, result);
  const show = job => {
    card.hidden = false;
    fill(facts,
      h('dt', {}, 'State'), h('dd', { id: 'job-state' }, stateBadge(job), job.reason ? ` — ${job.reason}` : '', job.fromCache ? ' (from cache)' : ''),
      asked?.file ? [h('dt', {}, 'File'), h('dd', {}, asked.file)] : null,
      asked?.steering ? [h('dt', {}, 'Steering prompt'), h('dd', {}, h('span', { class: 'prompt', id: 'steering-shown' }, asked.steering))] : null,
      asked?.refinement ? [h('dt', {}, 'Refinement prompt'), h('dd', {}, h('span', { class: 'prompt' }, asked.refinement))] : null,
      h('dt', {}, 'Submitted'), h('dd', {}, when(job.submittedAt)),
      job.completedAt ? [h('dt', {}, 'Finished'), h('dd', {}, when(job.completedAt))] : null);
    actions.replaceChildren(cancelButton(job, s) ?? '');
  };
  let job;
  try { job = await follow(jobId, gen, show); }
  catch (e) { if (e.status !== 401) result.replaceChildren(h('p', {}, e.status === 404 ? 'No such analysis.' : `Could not read the job: ${e.message}`)); return; }
  if (gen !== generation || job?.state !== 'completed') return;
  say('The analysis is complete.');
  await showResult(gen, jobId, result);
}

async function showResult(gen, jobId, into) {
  let doc;
  try { doc = await api(`/v1/analyses/${encodeURIComponent(jobId)}/result`); }
  catch (e) { if (e.status !== 401) into.replaceChildren(h('p', {}, `Could not read the result: ${e.message}`)); return; }
  if (gen !== generation) return;
  // the chosen story comes as the story itself ({title, summary}) or, in older results, as its id
  const chosen = typeof doc.chosen === 'string' ? { id: doc.chosen } : doc.chosen;
  const isChosen = story => chosen != null && (chosen.id != null ? story.id === chosen.id
    : story.title === chosen.title && story.summary === chosen.summary);
  const stories = h('ol', { class: 'stories', id: 'stories' }, (doc.stories ?? []).map(story =>
    h('li', { class: isChosen(story) ? 'chosen' : '' }, h('h3', {}, story.title ?? ''), h('p', {}, story.summary ?? ''),
      isChosen(story) ? h('p', { class: 'hint' }, 'Chosen for the narrative') : null)));
  const narrative = h('article', { class: 'narrative', id: 'narrative', 'aria-label': 'Narrative' });
  renderMarkdown(doc.narrativeMarkdown ?? '', narrative);
  const charts = h('div', { class: 'charts', id: 'charts' });
  const download = doc.dataset ? h('button', { type: 'button', id: 'download-dataset', onclick: async () => {
    try {
      const blob = await (await api(`/v1/analyses/${encodeURIComponent(jobId)}/dataset`, { raw: true })).blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: '#' });
      a.href = url;
      a.download = `${jobId}-dataset.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      say('Dataset downloaded.');
    } catch (e) { if (e.status !== 401) say(`Could not download: ${e.message}`, true); }
  } }, `Download dataset (${doc.dataset.rows ?? '?'} rows)`) : null;
  into.replaceChildren(
    h('h2', {}, 'Story angles'), stories,
    h('h2', {}, 'Narrative'), narrative,
    h('h2', {}, 'Charts'), charts,
    h('h2', {}, 'Dataset'), download ?? h('p', {}, 'No dataset.'));
  for (const chart of doc.charts ?? []) {
    const img = h('img', { alt: chart.caption || `Chart ${chart.index + 1}`, dataset: { chart: chart.index } });
    charts.appendChild(h('figure', {}, img, chart.caption ? h('figcaption', {}, chart.caption) : null));
    api(`/v1/analyses/${encodeURIComponent(jobId)}/charts/${chart.index}`, { raw: true })
      .then(r => r.blob()).then(blob => { img.src = URL.createObjectURL(blob); })
      .catch(() => { img.alt = `Chart ${chart.index + 1} could not be loaded`; });
  }
}

function monthPicker(id, label, onPick) {
  const now = new Date();
  const input = h('input', { id, type: 'month', value: `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}` });
  input.addEventListener('change', () => onPick(input.value));
  return [h('label', { for: id }, label), input];
}

async function usagePage(gen) {
  const out = h('div', { id: 'usage' });
  const picker = monthPicker('usage-month', 'Month', month => load(month));
  page('Usage', h('div', { class: 'card' }, picker), out);
  async function load(month) {
    let u;
    try { u = await api(`/v1/usage?month=${encodeURIComponent(month)}`); }
    catch (e) { if (e.status !== 401) out.replaceChildren(h('p', {}, `Could not read usage: ${e.message}`)); return; }
    if (gen !== generation) return;
    const q = u.quota ?? {};
    const used = q.analysesUsed ?? u.usage?.analyses ?? 0;
    // a bar where the plan sets a monthly limit; a count where it sets none
    const meter = (id, label, value, max) => max
      ? [h('label', { for: id }, label), h('meter', { id, min: 0, max, value, high: max * 0.9, dataset: { value } }),
        h('p', { class: 'hint' }, `${value} of ${max} (${Math.max(0, max - value)} left)`)]
      : [h('p', { class: 'count' }, h('strong', {}, `${label}: `), h('span', { id, dataset: { value } }, String(value)),
        h('span', { class: 'hint' }, ' (no monthly limit on this plan)'))];
    out.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'quota-heading' },
      h('h2', { id: 'quota-heading' }, `${u.month} · plan ${u.plan ?? ''}`),
      meter('usage-analyses', 'Analyses this month', used, q.analysesPerMonth ?? 0),
      meter('usage-rows', 'Rows analysed', u.usage?.rowsAnalyzed ?? 0, 0),
      meter('usage-downloads', 'Downloads', u.usage?.downloads ?? 0, 0),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Uploads'), h('dd', {}, String(u.usage?.uploads ?? 0)),
        h('dt', {}, 'Cache hits'), h('dd', {}, String(u.usage?.cacheHits ?? 0)),
        h('dt', {}, 'Failed analyses'), h('dd', {}, String(u.usage?.failedAnalyses ?? 0)),
        u.statement ? [h('dt', {}, 'Statement'), h('dd', {}, `${money(u.statement.totalMicros, u.statement.currency)} (${u.statement.status.toLowerCase()}, revision ${u.statement.revision})`)] : null,
        h('dt', {}, 'Month closes'), h('dd', {}, when(u.closesAt)))));
  }
  await load(main.querySelector('#usage-month').value);
}

async function statementsPage(gen) {
  const out = h('div', { id: 'statement' });
  page('Statements', h('div', { class: 'card' }, monthPicker('statement-month', 'Month', month => load(month))), out);
  async function load(month, again = false) {
    let st;
    try { st = await api(`/v1/statements/${encodeURIComponent(month)}`); }
    catch (e) {
      if (e.status === 404) out.replaceChildren(h('p', {}, `No statement for ${month} yet.`));
      else if (e.status !== 401) out.replaceChildren(h('p', {}, `Could not read the statement: ${e.message}`));
      return;
    }
    if (gen !== generation) return;
    const change = st.previousTotalMicros != null ? st.totalMicros - st.previousTotalMicros : null;
    const history = h('div', { id: 'statement-history' }, h('p', { class: 'hint' }, 'Loading the revision history…'));
    out.replaceChildren(h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', {}, 'Status'), h('dd', {}, String(st.status ?? '').toLowerCase()),
        h('dt', {}, 'Revision'), h('dd', {}, String(st.revision)),
        h('dt', {}, 'Price book'), h('dd', {}, String(st.priceBookVersion ?? '')),
        h('dt', {}, 'Total'), h('dd', { id: 'statement-total' }, money(st.totalMicros, st.currency)),
        change !== null ? [h('dt', {}, 'Change from revision ' + (st.revision - 1)),
          h('dd', { class: change > 0 ? 'diff-up' : change < 0 ? 'diff-down' : '' },
            `${money(st.previousTotalMicros, st.currency)} → ${money(st.totalMicros, st.currency)} (${change >= 0 ? '+' : '−'}${money(Math.abs(change), st.currency)})`)] : null,
        h('dt', {}, 'Generated'), h('dd', {}, when(st.generatedAt)))),
    table([['Line'], ['Quantity', 'num'], ['Unit price', 'num hide-narrow'], ['Amount', 'num']],
      (st.lines ?? []).map(l => h('tr', {}, h('td', {}, l.description ?? l.code), h('td', { class: 'num' }, String(l.quantity)),
        h('td', { class: 'num hide-narrow' }, money(l.unitPriceMicros, st.currency)), h('td', { class: 'num' }, money(l.amountMicros, st.currency)))),
      `Lines of ${st.month}, revision ${st.revision}`),
    h('section', { class: 'card', 'aria-labelledby': 'history-heading' },
      h('h2', { id: 'history-heading' }, 'Revision history'), history));
    await loadHistory(month, history, st.revision, again);
  }
  // every revision of the month, newest first, with what changed from the one before (total and lines)
  async function loadHistory(month, into, shown, again) {
    let r;
    try { r = await api(`/v1/statements/${encodeURIComponent(month)}/revisions?limit=50`); }
    catch (e) { if (e.status !== 401) into.replaceChildren(h('p', {}, `Could not read the revision history: ${e.message}`)); return; }
    if (gen !== generation) return;
    // a revision issued between the two reads: read the statement again, so the page shows one state (once)
    if (r.latestRevision > shown && !again) { await load(month, true); return; }
    const cur = r.currency;
    const signed = d => `${d >= 0 ? '+' : '−'}${money(Math.abs(d), cur)}`;
    fill(into,
      h('p', { class: 'hint' }, r.truncated ? `The newest ${r.revisions.length} of ${r.latestRevision} revisions.` : `${r.revisions.length} revision${r.revisions.length === 1 ? '' : 's'}.`),
      h('ol', { id: 'revision-history', reversed: true, class: 'history' }, r.revisions.map(v => h('li', { dataset: { revision: v.revision } },
        h('p', {},
          h('strong', {}, `Revision ${v.revision}`), ` · ${when(v.generatedAt)} · ${String(v.status ?? '').toLowerCase()} · price book ${v.priceBookVersion}`,
          v.previousPriceBookVersion != null && v.previousPriceBookVersion !== v.priceBookVersion ? ` (was ${v.previousPriceBookVersion})` : null),
        h('p', { class: 'revision-total' }, v.differenceMicros == null
          ? `Total ${money(v.totalMicros, cur)} (first revision)`
          : h('span', { class: 'revision-diff ' + (v.differenceMicros > 0 ? 'diff-up' : v.differenceMicros < 0 ? 'diff-down' : '') },
            `${money(v.previousTotalMicros, cur)} → ${money(v.totalMicros, cur)} (${signed(v.differenceMicros)})`)),
        v.lineChanges && v.lineChanges.length ? h('details', {},
          h('summary', {}, `${v.lineChanges.length} line${v.lineChanges.length === 1 ? '' : 's'} changed from revision ${v.revision - 1}`),
          table([['Line'], ['Quantity', 'num'], ['Amount', 'num'], ['Change', 'num']],
            v.lineChanges.map(c => h('tr', {}, h('td', {}, c.description ?? c.code),
              h('td', { class: 'num' }, c.previousQuantity === c.quantity ? String(c.quantity) : `${c.previousQuantity} → ${c.quantity}`),
              h('td', { class: 'num' }, `${money(c.previousAmountMicros, cur)} → ${money(c.amountMicros, cur)}`),
              h('td', { class: 'num' }, signed(c.differenceMicros)))),
            `Lines changed in revision ${v.revision}`)) : null))));
  }
  await load(main.querySelector('#statement-month').value);
}

// ---- routing ----------------------------------------------------------------------------------------------------

function route() {
  const gen = ++generation;
  const s = session();
  const nav = document.getElementById('nav');
  nav.hidden = !s;
  document.getElementById('sign-out').hidden = !s;
  if (!s) { signInPage(); return; }
  for (const li of nav.querySelectorAll('li')) li.hidden = !s.can[li.dataset.needs];
  const [path, query] = location.hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query ?? '');
  for (const a of nav.querySelectorAll('a')) {
    if (a.getAttribute('href') === `#${path}`) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const job = /^\/job\/(job_[a-z0-9]+)$/.exec(path);
  const pages = { '/files': ['files', filesPage], '/new': ['files', newAnalysisPage], '/jobs': ['results', jobsPage],
    '/usage': ['usage', usagePage], '/statements': ['statements', statementsPage] };
  if (job && s.can.results) { jobPage(gen, job[1]); return; }
  if (pages[path] && s.can[pages[path][0]]) { pages[path][1](gen, params); return; }
  location.replace('#' + firstPage(s));
}

function firstPage(s) {
  if (s.can.files) return '/files';
  if (s.embed && s.jobs.length === 1) return `/job/${s.jobs[0]}`;
  return s.can.results ? '/jobs' : s.can.usage ? '/usage' : '/statements';
}

document.getElementById('sign-out').addEventListener('click', () => { signOut(); say('Signed out.'); });
window.addEventListener('hashchange', () => { say(''); route(); });
if (location.hash.startsWith('#token=')) {
  sessionStorage.removeItem(KEY);
  sessionStorage.setItem(TOKEN, decodeURIComponent(location.hash.slice('#token='.length)));
  history.replaceState(null, '', location.pathname + '#' + firstPage(session()));
}
route();
