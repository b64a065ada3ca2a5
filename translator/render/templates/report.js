/* np2calico diff report: draws the matrix from the data block, filters it, shows a cell's detail.
   Builds every element through the DOM (textContent, never markup strings). Large matrices are
   virtualised: only the rows and columns in view (plus a margin) exist in the table. */
(function () {
  "use strict";
  const started = performance.now();
  const data = JSON.parse(document.getElementById("np2calico-data").textContent);
  const strings = data.strings;
  const lowered = strings.map((s) => s.toLowerCase());
  const entries = data.entries;
  const OUTSIDE = "(outside)";
  const SPANNED = ", one listing pods of several namespaces in each cell it spans";
  const CELL_W = 46, CELL_H = 30, ROW_HEAD_W = 190;
  const VIRTUAL_ABOVE = 60;  // rows or columns: above this, draw only what is in view
  const OVERSCAN = 6;
  const MAX_DETAIL = 200;  // entries shown at once in the detail (a button shows the rest)
  const STATES = {
    denied: { symbol: "✕", word: "newly denied" },
    allowed: { symbol: "✓", word: "newly allowed" },
    both: { symbol: "±", word: "newly denied and newly allowed" },
    unchanged: { symbol: "·", word: "unchanged" },
    na: { symbol: "—", word: "not a connection of the cluster" },
    filtered: { symbol: "", word: "filtered out" },
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    scroll: $("matrix-scroll"), table: $("matrix"), status: $("matrix-status"),
    detail: $("detail"), detailTitle: $("detail-title"), detailBody: $("detail-body"),
    onlyChanges: $("only-changes"), namespace: $("namespace"), role: $("role"),
    direction: $("direction"), search: $("search"), template: $("entry-template"),
  };
  els.thead = els.table.tHead;
  els.tbody = els.table.tBodies[0];
  els.table.style.setProperty("--cell-w", CELL_W + "px");
  els.table.style.setProperty("--cell-h", CELL_H + "px");
  els.table.style.setProperty("--row-head-w", ROW_HEAD_W + "px");

  const views = data.views.map((view) => {
    const n = view.groups.length;
    const cells = new Map();
    for (const c of view.cells) {
      cells.set(c[0] * n + c[1], { r: c[0], c: c[1], denied: c[2], allowed: c[3], first: c[4], end: c[5] });
    }
    return { key: view.key, title: view.title, groups: view.groups, n: n, cells: cells };
  });

  const state = { view: views[0], rows: [], cols: [], passing: new Set(), filters: null,
                  active: { ri: 0, ci: 0 }, selected: null, window: null };

  function direction(view, r, c) {
    if (view.groups[c] === OUTSIDE) return "egress";
    if (view.groups[r] === OUTSIDE) return "ingress";
    return "internal";
  }

  function notApplicable(view, r, c) {
    return view.groups[r] === OUTSIDE && view.groups[c] === OUTSIDE;
  }

  function entryMatches(index, query) {
    const entry = entries[index];
    for (let k = 1; k < entry.length; k++) {
      if (lowered[entry[k]].includes(query)) return true;
    }
    return false;
  }

  function readFilters(view) {
    const name = els.namespace.value;
    return {
      only: els.onlyChanges.checked,
      ns: name ? view.groups.indexOf(name) : -1,
      role: els.role.value,
      direction: els.direction.value,
      query: els.search.value.trim().toLowerCase(),
    };
  }

  // Whether the cell (r, c) passes the filters, ignoring the search (which only changed cells pass).
  function placePasses(view, f, r, c) {
    if (notApplicable(view, r, c)) return false;
    if (f.ns >= 0) {
      if (f.role === "source" && r !== f.ns) return false;
      if (f.role === "destination" && c !== f.ns) return false;
      if (f.role === "either" && r !== f.ns && c !== f.ns) return false;
    }
    return !f.direction || direction(view, r, c) === f.direction;
  }

  function cellMatches(cell, query) {
    for (let i = cell.first; i < cell.end; i++) if (entryMatches(i, query)) return true;
    return false;
  }

  function passes(view, r, c) {
    const cell = view.cells.get(r * view.n + c);
    if (cell) return state.passing.has(cell);
    return !state.filters.query && placePasses(view, state.filters, r, c);
  }

  function applyFilters() {
    const view = state.view, f = readFilters(view);
    state.filters = f;
    state.passing = new Set();
    const rowHas = new Set(), colHas = new Set();
    let denied = 0, allowed = 0;
    for (const cell of view.cells.values()) {
      if (!placePasses(view, f, cell.r, cell.c)) continue;
      if (f.query && !cellMatches(cell, f.query)) continue;
      state.passing.add(cell);
      rowHas.add(cell.r); colHas.add(cell.c);
      denied += cell.denied; allowed += cell.allowed;
    }
    let rows = view.groups.map((_, i) => i), cols = rows.slice();
    if (f.ns >= 0 && f.role === "source") rows = [f.ns];
    if (f.ns >= 0 && f.role === "destination") cols = [f.ns];
    if (f.only || f.query) {
      rows = rows.filter((r) => rowHas.has(r));
      cols = cols.filter((c) => colHas.has(c));
    }
    state.rows = rows; state.cols = cols; state.window = null;
    state.active = { ri: Math.min(state.active.ri, Math.max(rows.length - 1, 0)),
                     ci: Math.min(state.active.ci, Math.max(cols.length - 1, 0)) };
    els.table.setAttribute("aria-rowcount", String(rows.length + 1));
    els.table.setAttribute("aria-colcount", String(cols.length + 1));
    els.status.textContent = rows.length && cols.length
      ? `${rows.length} sources × ${cols.length} destinations shown; ${state.passing.size} cells with changes: ` +
        `${denied} newly denied, ${allowed} newly allowed.`
      : "No cell matches the filters.";
    render(true);
  }

  function visibleWindow() {
    const rows = state.rows.length, cols = state.cols.length;
    if (rows <= VIRTUAL_ABOVE && cols <= VIRTUAL_ABOVE) return [0, rows, 0, cols];
    const scroll = els.scroll;
    const bodyTop = els.tbody.offsetTop || 0;
    const top = Math.max(0, scroll.scrollTop - bodyTop);
    const r0 = Math.max(0, Math.floor(top / CELL_H) - OVERSCAN);
    const r1 = Math.min(rows, Math.ceil((top + scroll.clientHeight) / CELL_H) + OVERSCAN);
    const left = Math.max(0, scroll.scrollLeft - ROW_HEAD_W);
    const c0 = Math.max(0, Math.floor(left / CELL_W) - OVERSCAN);
    const c1 = Math.min(cols, Math.ceil((left + scroll.clientWidth) / CELL_W) + OVERSCAN);
    return [r0, r1, c0, c1];
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function spacerCell(tag, width) {
    const node = element(tag, "spacer");
    node.style.width = node.style.minWidth = node.style.maxWidth = width + "px";
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function cellState(view, r, c, cell) {
    if (notApplicable(view, r, c)) return "na";
    if (!passes(view, r, c)) return "filtered";
    if (!cell) return "unchanged";
    if (cell.denied && cell.allowed) return "both";
    return cell.denied ? "denied" : "allowed";
  }

  function cellText(kind, cell) {
    const symbol = STATES[kind].symbol;
    if (!cell || kind === "filtered" || kind === "na") return symbol;
    return `${symbol}${kind === "allowed" ? cell.allowed : kind === "denied" ? cell.denied : cell.denied + cell.allowed}`;
  }

  function cellLabel(view, r, c, kind, cell) {
    const where = `${view.groups[r]} to ${view.groups[c]}`;
    if (!cell || kind === "filtered" || kind === "na") return `${where}: ${STATES[kind].word}`;
    return `${where}: ${cell.denied} newly denied, ${cell.allowed} newly allowed`;
  }

  function headerRow(view, c0, c1) {
    const row = element("tr");
    row.setAttribute("aria-rowindex", "1");
    const corner = element("th", "corner", "from ↓ to →");
    corner.setAttribute("scope", "col");
    row.append(corner);
    if (c0 > 0) row.append(spacerCell("th", c0 * CELL_W));
    for (let ci = c0; ci < c1; ci++) {
      const name = view.groups[state.cols[ci]];
      const th = element("th", name === OUTSIDE ? "col outside" : "col");
      th.setAttribute("scope", "col");
      th.setAttribute("aria-colindex", String(ci + 2));
      th.title = name;
      th.append(element("span", "", name));
      row.append(th);
    }
    if (c1 < state.cols.length) row.append(spacerCell("th", (state.cols.length - c1) * CELL_W));
    return row;
  }

  function bodyRow(view, ri, c0, c1) {
    const r = state.rows[ri];
    const row = element("tr");
    row.setAttribute("aria-rowindex", String(ri + 2));
    const head = element("th", view.groups[r] === OUTSIDE ? "row outside" : "row", view.groups[r]);
    head.setAttribute("scope", "row");
    head.title = view.groups[r];
    row.append(head);
    if (c0 > 0) row.append(spacerCell("td", c0 * CELL_W));
    for (let ci = c0; ci < c1; ci++) {
      const c = state.cols[ci];
      const cell = view.cells.get(r * view.n + c);
      const kind = cellState(view, r, c, cell);
      const td = element("td", `cell state-${kind}`, cellText(kind, cell));
      td.setAttribute("role", "gridcell");
      td.setAttribute("aria-colindex", String(ci + 2));
      td.setAttribute("aria-label", cellLabel(view, r, c, kind, cell));
      td.title = td.getAttribute("aria-label");
      td.dataset.source = view.groups[r];
      td.dataset.destination = view.groups[c];
      td.dataset.state = kind;
      td.dataset.ri = String(ri);
      td.dataset.ci = String(ci);
      if (cell) { td.dataset.newlyDenied = String(cell.denied); td.dataset.newlyAllowed = String(cell.allowed); }
      td.tabIndex = ri === state.active.ri && ci === state.active.ci ? 0 : -1;
      if (state.selected && state.selected.r === r && state.selected.c === c) td.classList.add("selected");
      row.append(td);
    }
    if (c1 < state.cols.length) row.append(spacerCell("td", (state.cols.length - c1) * CELL_W));
    return row;
  }

  function spacerRow(height) {
    const row = element("tr", "spacer");
    row.setAttribute("aria-hidden", "true");
    const td = element("td");
    td.colSpan = 3;
    td.style.height = height + "px";
    row.append(td);
    return row;
  }

  function render(force) {
    const view = state.view;
    const win = visibleWindow();
    if (!force && state.window && win.every((v, i) => v === state.window[i])) return;
    state.window = win;
    const [r0, r1, c0, c1] = win;
    els.thead.replaceChildren(state.cols.length ? headerRow(view, c0, c1) : element("tr"));
    const body = [];
    if (r0 > 0) body.push(spacerRow(r0 * CELL_H));
    for (let ri = r0; ri < r1; ri++) body.push(bodyRow(view, ri, c0, c1));
    if (r1 < state.rows.length) body.push(spacerRow((state.rows.length - r1) * CELL_H));
    els.tbody.replaceChildren(...body);
  }

  function fillEntry(index, query) {
    const entry = entries[index];
    const node = els.template.content.firstElementChild.cloneNode(true);
    const allowed = entry[0] === 1;
    node.classList.add(allowed ? "allowed" : "denied");
    if (query && entryMatches(index, query)) node.classList.add("match");
    node.querySelector(".mark").textContent = allowed ? "✓" : "✕";
    node.querySelector('[data-field="status"]').textContent = allowed ? "newly allowed" : "newly denied";
    ["source", "destination", "traffic", "before", "after"].forEach((field, k) => {
      node.querySelector(`[data-field="${field}"]`).textContent = strings[entry[k + 1]];
    });
    return node;
  }

  function showEntries(cell, from, query) {
    const end = Math.min(cell.end, from + MAX_DETAIL);
    for (let i = from; i < end; i++) els.detailBody.append(fillEntry(i, query));
    if (end < cell.end) {
      const more = element("button", "more", `Show the other ${cell.end - end} entries`);
      more.type = "button";
      more.addEventListener("click", () => { more.remove(); showEntries(cell, end, query); });
      els.detailBody.append(more);
    }
  }

  function openDetail(r, c) {
    const view = state.view;
    const cell = view.cells.get(r * view.n + c);
    const src = view.groups[r], dst = view.groups[c];
    state.selected = { r: r, c: c };
    els.detailTitle.textContent = `${src} → ${dst} (${direction(view, r, c)})`;
    els.detailBody.replaceChildren();
    let summary;
    if (notApplicable(view, r, c)) summary = "Traffic between two addresses outside the cluster is not the cluster's.";
    else if (!cell) summary = `No connection from ${src} to ${dst} changes its verdict.`;
    else summary = `${cell.denied} newly denied, ${cell.allowed} newly allowed ` +
                   `(changes as the JSON output counts them${data.grouped ? SPANNED : ""}; ` +
                   `below, protocols with the same verdicts share an entry).`;
    els.detailBody.append(element("p", "detail-summary", summary));
    if (cell) showEntries(cell, cell.first, state.filters.query);
    els.detail.dataset.open = "true";
    render(true);
  }

  const hint = els.detailBody.cloneNode(true).childNodes;
  function clearDetail() {
    state.selected = null;
    els.detailTitle.textContent = "Detail";
    els.detailBody.replaceChildren(...Array.from(hint, (node) => node.cloneNode(true)));
    delete els.detail.dataset.open;
  }

  function focusActive() {
    const { ri, ci } = state.active, scroll = els.scroll;
    if (state.rows.length > VIRTUAL_ABOVE || state.cols.length > VIRTUAL_ABOVE) {
      const bodyTop = els.tbody.offsetTop || 0, headH = els.thead.offsetHeight || 0;
      const top = bodyTop + ri * CELL_H, left = ROW_HEAD_W + ci * CELL_W;
      if (top - headH < scroll.scrollTop) scroll.scrollTop = top - headH;
      else if (top + CELL_H > scroll.scrollTop + scroll.clientHeight) scroll.scrollTop = top + CELL_H - scroll.clientHeight;
      if (left - ROW_HEAD_W < scroll.scrollLeft) scroll.scrollLeft = left - ROW_HEAD_W;
      else if (left + CELL_W > scroll.scrollLeft + scroll.clientWidth) scroll.scrollLeft = left + CELL_W - scroll.clientWidth;
    }
    render(true);
    const td = els.tbody.querySelector(`td.cell[data-ri="${ri}"][data-ci="${ci}"]`);
    if (td) td.focus({ preventScroll: state.rows.length > VIRTUAL_ABOVE || state.cols.length > VIRTUAL_ABOVE });
  }

  const MOVES = {
    ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
    PageUp: [-10, 0], PageDown: [10, 0],
  };

  els.tbody.addEventListener("keydown", (event) => {
    const td = event.target.closest("td.cell");
    if (!td) return;
    let { ri, ci } = state.active;
    if (event.key in MOVES) {
      ri += MOVES[event.key][0]; ci += MOVES[event.key][1];
    } else if (event.key === "Home") {
      ci = 0; if (event.ctrlKey) ri = 0;
    } else if (event.key === "End") {
      ci = state.cols.length - 1; if (event.ctrlKey) ri = state.rows.length - 1;
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (td.dataset.state !== "filtered") openDetail(state.rows[ri], state.cols[ci]);
      focusActive();
      return;
    } else if (event.key === "Escape") {
      clearDetail(); render(true); focusActive();
      return;
    } else {
      return;
    }
    event.preventDefault();
    state.active = { ri: Math.max(0, Math.min(state.rows.length - 1, ri)),
                     ci: Math.max(0, Math.min(state.cols.length - 1, ci)) };
    focusActive();
  });

  els.tbody.addEventListener("click", (event) => {
    const td = event.target.closest("td.cell");
    if (!td || td.dataset.state === "filtered") return;
    state.active = { ri: Number(td.dataset.ri), ci: Number(td.dataset.ci) };
    openDetail(state.rows[state.active.ri], state.cols[state.active.ci]);
    focusActive();
  });

  let frame = 0;
  els.scroll.addEventListener("scroll", () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(false); });
  });
  window.addEventListener("resize", () => render(false));

  function fillNamespaces(view) {
    const chosen = els.namespace.value;
    const options = [element("option", "", "all")];
    options[0].value = "";
    for (const name of view.groups) {
      const option = element("option", "", name);
      option.value = name;
      options.push(option);
    }
    els.namespace.replaceChildren(...options);
    els.namespace.value = view.groups.includes(chosen) ? chosen : "";
  }

  function selectView(index) {
    state.view = views[index];
    state.selected = null;
    state.active = { ri: 0, ci: 0 };
    clearDetail();
    fillNamespaces(state.view);
    applyFilters();
  }

  const form = $("filters");
  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("input", (event) => {
    if (event.target.name === "view") selectView(Number(event.target.value));
    else applyFilters();
  });

  selectView(0);
  // For tests and benchmarks: the script's own time, and the time since navigation started, to a
  // drawn matrix.
  document.documentElement.dataset.renderMs = (performance.now() - started).toFixed(1);
  document.documentElement.dataset.readyMs = performance.now().toFixed(1);
  document.documentElement.dataset.ready = "true";
})();
