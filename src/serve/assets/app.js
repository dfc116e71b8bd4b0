// citeseek's search page: search as you type, a claim checker, reference pages.
// Text from the index only ever reaches the page as textContent (and <mark> elements built
// here), never as HTML; links are kept only when they are http(s).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const DEBOUNCE_MS = 150;
  const LIMIT = 20;

  // An element with attributes and children; strings become text nodes.
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c !== null && c !== undefined && c !== false) e.append(c);
    }
    return e;
  }

  // An http(s) URL from the data, or null (no javascript: or data: links).
  function safeUrl(u) {
    if (typeof u !== 'string') return null;
    try {
      const url = new URL(u, location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function link(url, text, attrs) {
    const href = safeUrl(url);
    return href ? h('a', Object.assign({ href }, attrs || {}), text) : h('span', {}, text);
  }

  // A snippet from the API's segments: text nodes and <mark>s.
  function fromSegments(segments) {
    return segments.map((s) => (s.mark ? h('mark', {}, s.text) : document.createTextNode(s.text)));
  }

  // A snippet from character ranges (Unicode scalar values, as the API counts them, not the
  // UTF-16 units JavaScript strings index).
  function fromHighlights(text, ranges) {
    const chars = Array.from(text);
    const out = [];
    let at = 0;
    for (const [a, b] of ranges || []) {
      if (a < at || b > chars.length || a >= b) continue;
      if (a > at) out.push(document.createTextNode(chars.slice(at, a).join('')));
      out.push(h('mark', {}, chars.slice(a, b).join('')));
      at = b;
    }
    if (at < chars.length) out.push(document.createTextNode(chars.slice(at).join('')));
    return out;
  }

  async function api(path, params, signal) {
    const url = new URL(path, location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== '' && v !== null && v !== undefined) url.searchParams.set(k, v);
    }
    const r = await fetch(url, { headers: { Accept: 'application/json' }, signal });
    const body = await r.json().catch(() => null);
    if (!r.ok) {
      const msg = body && body.error ? body.error.message : 'the server answered ' + r.status;
      throw new Error(msg);
    }
    return body;
  }

  function citationHref(c) {
    return c.doi ? 'https://doi.org/' + c.doi : c.url;
  }

  // A citation: a link to the study, its formatted reference on expand, its reference page.
  function citationItem(c) {
    const body = h('p', { class: 'reference' }, 'Loading…');
    const details = h('details', {}, h('summary', {}, 'Full reference'), body);
    let loaded = false;
    details.addEventListener('toggle', () => {
      if (!details.open || loaded) return;
      loaded = true;
      api('/api/v1/refs/' + encodeURIComponent(c.id)).then(
        (r) => { body.textContent = r.citation; },
        (e) => { body.textContent = e.message; loaded = false; },
      );
    });
    return h('li', { class: 'citation' },
      link(citationHref(c), c.label, { class: 'study' }),
      c.scope === 'section' ? h('span', { class: 'scope' }, ' (cited in this section)') : null,
      ' · ', h('a', { href: '/?ref=' + encodeURIComponent(c.id), 'data-nav': '' }, 'reference page'),
      details);
  }

  // Page › heading › heading, the page linked to its URL and the last heading to its anchor.
  function breadcrumb(p) {
    const url = safeUrl(p.source && p.source.url);
    const page = url ? url.split('#')[0] : null;
    const parts = [link(page, p.title || p.doc)];
    (p.section || []).forEach((s, i, all) => {
      parts.push(h('span', { class: 'sep', 'aria-hidden': 'true' }, ' › '));
      parts.push(i === all.length - 1 ? link(url, s) : h('span', {}, s));
    });
    return h('nav', { class: 'crumbs', 'aria-label': 'Where this passage is' }, parts);
  }

  // ---------------------------------------------------------------------------------------
  // views
  // ---------------------------------------------------------------------------------------

  const views = ['search-view', 'cite-view', 'refs-view', 'ref-view', 'passage-view'];
  function show(view) {
    for (const v of views) $(v).hidden = v !== view;
    for (const a of document.querySelectorAll('nav[aria-label="Views"] a')) {
      if (a.dataset.view + '-view' === view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function route() {
    const p = new URLSearchParams(location.search);
    if (p.get('passage')) return openPassage(p.get('passage'));
    if (p.get('ref')) return openRef(p.get('ref'));
    if (p.get('view') === 'refs') return openRefs();
    if (p.get('view') === 'cite' || p.get('claim')) {
      show('cite-view');
      $('claim').value = p.get('claim') || '';
      if (p.get('claim')) runCite(p.get('claim'));
      else $('cite-out').replaceChildren();
      return;
    }
    show('search-view');
    const q = p.get('q') || '';
    const kind = p.get('kind') || '';
    for (const r of document.querySelectorAll('input[name="kind"]')) r.checked = r.value === kind;
    $('q').value = q;
    if (q.trim()) runSearch(q, kind, null);
    else clearResults();
  }

  function navigate(url) {
    history.pushState(null, '', url);
    route();
    window.scrollTo(0, 0);
  }

  // In-page links (data-nav) change the view without reloading.
  document.addEventListener('click', (e) => {
    const a = e.target.closest && e.target.closest('a[data-nav], nav[aria-label="Views"] a');
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', route);

  // ---------------------------------------------------------------------------------------
  // search
  // ---------------------------------------------------------------------------------------

  const input = $('q');
  const results = $('results');
  const status = $('status');
  const preview = $('preview');
  let timer = null;
  let inflight = null;
  let hits = [];
  let active = -1;
  let lastInput = 0;

  function kind() {
    const r = document.querySelector('input[name="kind"]:checked');
    return r ? r.value : '';
  }

  function announce(text) {
    // One polite region, changed only when a search has finished.
    if (status.textContent !== text) status.textContent = text;
  }

  function clearResults() {
    if (inflight) inflight.abort();
    hits = [];
    active = -1;
    results.replaceChildren();
    preview.hidden = true;
    preview.replaceChildren();
    $('suggestion').hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    announce('');
  }

  function syncAddress(q, k) {
    const p = new URLSearchParams();
    if (q) p.set('q', q);
    if (k) p.set('kind', k);
    const url = p.toString() ? '/?' + p.toString() : '/';
    if (location.pathname + location.search !== url) history.replaceState(null, '', url);
  }

  function schedule() {
    lastInput = performance.now();
    clearTimeout(timer);
    timer = setTimeout(() => {
      const q = input.value.trim();
      syncAddress(input.value, kind());
      if (q) runSearch(q, kind(), lastInput);
      else clearResults();
    }, DEBOUNCE_MS);
  }

  async function runSearch(q, k, since) {
    if (inflight) inflight.abort();
    const ctrl = new AbortController();
    inflight = ctrl;
    let data;
    try {
      data = await api('/api/v1/search', { q, kind: k, limit: LIMIT }, ctrl.signal);
    } catch (e) {
      if (ctrl.signal.aborted) return;
      hits = [];
      results.replaceChildren();
      preview.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      announce(e.message);
      return;
    }
    if (ctrl.signal.aborted) return;
    inflight = null;
    renderResults(data);
    if (since !== null) {
      // Time from the last keystroke to the frame that shows the results (for the benchmark).
      requestAnimationFrame(() => {
        document.body.dataset.firstResultsMs = (performance.now() - since).toFixed(1);
      });
    }
  }

  function renderSuggestion(data) {
    const box = $('suggestion');
    if (typeof data.suggestion !== 'string' || !data.suggestion) {
      box.hidden = true;
      return;
    }
    const a = h('a', { href: '/?q=' + encodeURIComponent(data.suggestion), 'data-suggest': '' }, data.suggestion);
    a.addEventListener('click', (e) => {
      e.preventDefault();
      input.value = data.suggestion;
      syncAddress(input.value, kind());
      runSearch(data.suggestion, kind(), null);
    });
    box.replaceChildren(data.corrected ? 'Showing results for ' : 'Did you mean ', a, data.corrected ? '' : '?');
    box.hidden = false;
  }

  function renderResults(data) {
    active = -1;
    input.removeAttribute('aria-activedescendant');
    renderSuggestion(data);
    // Pages in the order of their best hit; in a page, a sub-result per heading path, in the
    // order of its best hit. `hits` follows the order shown, so the arrows do too.
    const pages = new Map();
    for (const hit of data.hits) {
      if (!pages.has(hit.doc)) pages.set(hit.doc, new Map());
      const headings = pages.get(hit.doc);
      const key = hit.section.join('\u0000');
      if (!headings.has(key)) headings.set(key, []);
      headings.get(key).push(hit);
    }
    hits = [];
    const nodes = [];
    for (const headings of pages.values()) {
      const first = headings.values().next().value[0];
      const title = first.title || first.doc;
      const options = [];
      for (const group of headings.values()) {
        group.forEach((hit, j) => {
          const i = hits.length;
          hits.push(hit);
          const cites = hit.citations.map((c) => c.label);
          // The heading shows once per sub-result; later hits under it still say it to a
          // screen reader.
          const opt = h('div', { class: j ? 'hit more' : 'hit', role: 'option', id: 'hit-' + i, 'aria-selected': 'false' },
            h('span', { class: j ? 'heading sr-only' : 'heading' }, hit.section.length ? hit.section.join(' › ') : title),
            hit.kind === 'reference' ? h('span', { class: 'tag' }, ' reference') : null,
            h('span', { class: 'excerpt' }, fromSegments(hit.segments)),
            cites.length ? h('span', { class: 'cites' }, 'Cites ' + cites.join('; ')) : null);
          opt.addEventListener('mousemove', () => { if (active !== i) setActive(i, false); });
          opt.addEventListener('click', () => openHit(i));
          options.push(opt);
        });
      }
      nodes.push(h('div', { class: 'group', role: 'group', 'aria-label': title },
        h('div', { class: 'page', 'aria-hidden': 'true' }, title), options));
    }
    results.replaceChildren(...nodes);
    input.setAttribute('aria-expanded', hits.length ? 'true' : 'false');
    const shown = data.total > hits.length ? `the first ${hits.length} of ${data.total}` : String(hits.length);
    announce(hits.length ? `${shown} ${data.total === 1 ? 'result' : 'results'} for “${data.query}”` : `No results for “${data.query}”`);
    if (hits.length) renderPreview(0);
    else { preview.hidden = true; preview.replaceChildren(); }
  }

  function renderPreview(i) {
    const hit = hits[i];
    preview.replaceChildren(
      breadcrumb(hit),
      h('p', { class: 'text' }, hit.text),
      hit.citations.length
        ? h('div', {}, h('h2', {}, 'Cited studies'), h('ul', { class: 'citations' }, hit.citations.map(citationItem)))
        : h('p', { class: 'hint' }, 'This passage cites no study.'),
      h('p', {}, h('a', { href: '/?passage=' + encodeURIComponent(hit.passage_id), 'data-nav': '' }, 'Open this passage')));
    preview.hidden = false;
  }

  function setActive(i, scroll) {
    const old = $('hit-' + active);
    if (old) old.setAttribute('aria-selected', 'false');
    active = i;
    const opt = $('hit-' + i);
    if (!opt) return;
    opt.setAttribute('aria-selected', 'true');
    input.setAttribute('aria-activedescendant', opt.id);
    if (scroll) opt.scrollIntoView({ block: 'nearest' });
    renderPreview(i);
  }

  function openHit(i) {
    const hit = hits[i];
    if (hit) navigate('/?passage=' + encodeURIComponent(hit.passage_id));
  }

  input.addEventListener('input', schedule);
  for (const r of document.querySelectorAll('input[name="kind"]')) r.addEventListener('change', schedule);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    const q = input.value.trim();
    syncAddress(input.value, kind());
    if (q) runSearch(q, kind(), null);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!hits.length) return;
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      const next = active < 0 ? (step > 0 ? 0 : hits.length - 1) : (active + step + hits.length) % hits.length;
      setActive(next, true);
    } else if (e.key === 'Enter' && active >= 0) {
      e.preventDefault();
      openHit(active);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      input.value = '';
      clearTimeout(timer);
      syncAddress('', kind());
      clearResults();
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    e.preventDefault();
    if ($('search-view').hidden) navigate('/');
    input.focus();
    input.select();
  });

  // ---------------------------------------------------------------------------------------
  // cite, references, passages
  // ---------------------------------------------------------------------------------------

  $('cite-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const claim = $('claim').value.trim();
    if (!claim) return;
    history.pushState(null, '', '/?view=cite&claim=' + encodeURIComponent(claim));
    runCite(claim);
  });

  async function runCite(claim) {
    const out = $('cite-out');
    out.replaceChildren(h('p', { class: 'hint' }, 'Looking for the studies…'));
    let data;
    try {
      data = await api('/api/v1/cite', { claim });
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error' }, e.message));
      return;
    }
    if (!data.references.length) {
      out.replaceChildren(h('p', {}, 'No reference in the corpus supports this claim.'));
      return;
    }
    out.replaceChildren(h('ol', { class: 'cited' }, data.references.map((r) => h('li', {},
      h('p', { class: 'reference' }, r.citation),
      h('p', {}, studyLink(r),
        ' · ', h('a', { href: '/?ref=' + encodeURIComponent(r.id), 'data-nav': '' }, 'reference page')),
      h('ul', { class: 'evidence' }, r.evidence.map((e) => h('li', {},
        h('span', { class: 'role' }, e.role === 'claim' ? 'The guide says' : e.role === 'description' ? 'The References section says' : 'The study says'),
        ' ', breadcrumb(e),
        h('p', { class: 'excerpt' }, fromHighlights(e.snippet, e.highlights)))))))));
  }

  async function openRefs() {
    show('refs-view');
    const out = $('refs-out');
    try {
      const data = await api('/api/v1/refs');
      out.replaceChildren(h('ul', { class: 'refs' }, data.references.map((r) => h('li', {},
        h('a', { href: '/?ref=' + encodeURIComponent(r.id), 'data-nav': '' }, r.label),
        ` · cited by ${r.cited_by} ${r.cited_by === 1 ? 'passage' : 'passages'}`))));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  // Show a view while its answer loads, then what `render` makes of it (or the error).
  async function load(viewId, path, render) {
    show(viewId);
    const view = $(viewId);
    view.replaceChildren(h('p', { class: 'hint' }, 'Loading…'));
    let data;
    try {
      data = await api(path);
    } catch (e) {
      view.replaceChildren(h('p', { class: 'error' }, e.message));
      return;
    }
    render(view, data);
  }

  function studyLink(r) {
    return link(r.doi ? 'https://doi.org/' + r.doi : r.url, r.doi ? 'doi:' + r.doi : (r.url || ''));
  }

  function openRef(id) {
    return load('ref-view', '/api/v1/refs/' + encodeURIComponent(id), (view, r) => {
      const citing = r.backlinks.filter((b) => !b.references_section);
      const listed = r.backlinks.filter((b) => b.references_section);
      const backlink = (b) => h('li', {}, breadcrumb(b), h('p', { class: 'text' }, b.text),
        h('a', { href: '/?passage=' + encodeURIComponent(b.passage_id), 'data-nav': '' }, 'Open this passage'));
      view.replaceChildren(
        h('h1', {}, r.label),
        h('p', { class: 'reference' }, r.citation),
        h('p', {}, studyLink(r)),
        h('h2', {}, `Cited by ${r.cited_by} guide ${r.cited_by === 1 ? 'passage' : 'passages'}`),
        h('ul', { class: 'backlinks' }, citing.map(backlink)),
        listed.length ? h('h2', {}, 'Listed in the References section') : null,
        listed.length ? h('ul', { class: 'backlinks' }, listed.map(backlink)) : null);
      document.title = r.label + ' · citeseek';
    });
  }

  function openPassage(id) {
    return load('passage-view', '/api/v1/passages/' + encodeURIComponent(id), (view, p) => {
      view.replaceChildren(
        h('h1', {}, p.section.length ? p.section[p.section.length - 1] : p.title),
        breadcrumb(p),
        h('p', { class: 'text' }, p.text),
        p.citations.length ? h('h2', {}, 'Cited studies') : null,
        p.citations.length ? h('ul', { class: 'citations' }, p.citations.map(citationItem)) : null,
        h('p', { class: 'hint' }, p.source.path + ':' + p.source.line),
        h('p', {}, h('a', { href: '/', id: 'back', onclick: (e) => { e.preventDefault(); history.back(); } }, 'Back to the results')));
      document.title = (p.section[p.section.length - 1] || p.title) + ' · citeseek';
    });
  }

  route();
})();
