// The fleet: one card per device, kept up to date from the live stream. Changes are collected
// and applied once per animation frame; a card is built once and then updated in place (only
// the text that changed is touched), so a burst of events over 500 devices costs one pass of
// small DOM writes. Filters (kind, home, search) toggle `hidden` instead of rebuilding.
import { allPages, api, listOf } from './api.js';
import { h, show } from './dom.js';
import { ago, byNaturalId, levelClass, number, unitOf } from './format.js';

// Render timings for the e2e test and for anyone curious (docs/dashboard.md).
const perf = (window.__sarangPerf = window.__sarangPerf || { flushes: [] });

export function fleetView(root, fleet) {
  const cards = new Map(); // id -> {element, parts, shown}
  const homeOf = new Map(); // id -> home id (the device list has it; the stream does not)
  let pending = new Set();
  let pendingAll = true;
  let frame = 0;
  let homesLoading = null;

  const kind = h('select', { id: 'filter-kind', 'aria-label': 'Kind' }, h('option', { value: '' }, 'All kinds'));
  const home = h('select', { id: 'filter-home', 'aria-label': 'Home' }, h('option', { value: '' }, 'All homes'));
  const search = h('input', { id: 'filter-search', type: 'search', placeholder: 'Search name or id', 'aria-label': 'Search' });
  const count = h('span', { class: 'muted', id: 'fleet-count' });
  const grid = h('div', { class: 'grid', id: 'fleet-grid' });
  show(root, h('section', {}, h('div', { class: 'toolbar' }, h('h1', {}, 'Fleet'), kind, home, search, count), grid));

  const refilter = () => {
    for (const id of cards.keys()) applyFilter(id);
    updateCount();
  };
  kind.addEventListener('change', refilter);
  home.addEventListener('change', refilter);
  search.addEventListener('input', refilter);

  function matches(device) {
    if (kind.value && device.kind !== kind.value) return false;
    if (home.value && String(homeOf.get(device.id) ?? '') !== home.value) return false;
    const term = search.value.trim().toLowerCase();
    return !term || device.id.toLowerCase().includes(term) || (device.name || '').toLowerCase().includes(term);
  }

  function applyFilter(id) {
    const card = cards.get(id);
    const device = fleet.devices.get(id);
    const visible = Boolean(device) && matches(device);
    if (card.element.hidden === visible) card.element.hidden = !visible;
  }

  function updateCount() {
    let visible = 0;
    for (const card of cards.values()) if (!card.element.hidden) visible += 1;
    count.textContent = `${visible} of ${cards.size} devices`;
  }

  function buildCard(device) {
    const parts = {
      name: h('span', { class: 'name' }),
      kind: h('span', { class: 'kind' }),
      presence: h('span', { class: 'presence' }),
      seen: h('span', { class: 'seen muted' }),
      values: h('div', { class: 'values' }),
    };
    const element = h(
      'a',
      { class: 'device-card', href: `#/device/${encodeURIComponent(device.id)}`, 'data-device': device.id },
      h('div', { class: 'card-head' }, parts.name, parts.presence),
      h('div', { class: 'card-meta' }, parts.kind, parts.seen),
      parts.values,
    );
    return { element, parts, shown: {}, metrics: new Map() };
  }

  // Sets text only when it differs: the browser then re-lays out only what changed.
  function setText(card, key, node, text) {
    if (card.shown[key] !== text) {
      node.textContent = text;
      card.shown[key] = text;
    }
  }

  function updateCard(card, device, now) {
    setText(card, 'name', card.parts.name, device.name || device.id);
    setText(card, 'kind', card.parts.kind, device.kind);
    setText(card, 'presence', card.parts.presence, device.online ? 'online' : 'offline');
    const presenceClass = `presence ${device.online ? 'online' : 'offline'}`;
    if (card.parts.presence.className !== presenceClass) card.parts.presence.className = presenceClass;
    setText(card, 'seen', card.parts.seen, ago(device.lastSeenAt, now));
    for (const [metric, reading] of Object.entries(device.values || {})) {
      let slot = card.metrics.get(metric);
      if (!slot) {
        slot = { element: h('span', { class: 'metric', 'data-metric': metric }), text: '', cls: '' };
        card.metrics.set(metric, slot);
        card.parts.values.append(slot.element);
      }
      const text = `${metric} ${number(reading.value)}${unitOf(metric) ? ' ' + unitOf(metric) : ''}`;
      if (slot.text !== text) slot.element.textContent = slot.text = text;
      const cls = `metric ${levelClass(reading.level)}`;
      if (slot.cls !== cls) slot.element.className = slot.cls = cls;
    }
  }

  function flush() {
    frame = 0;
    const started = performance.now();
    const now = Date.now();
    const ids = pendingAll ? [...fleet.devices.keys()] : [...pending];
    const everything = pendingAll;
    pending = new Set();
    pendingAll = false;
    let added = 0;
    const kinds = new Set();
    for (const id of ids) {
      const device = fleet.devices.get(id);
      let card = cards.get(id);
      if (!device) {
        if (card) {
          card.element.remove();
          cards.delete(id);
        }
        continue;
      }
      if (!card) {
        card = buildCard(device);
        cards.set(id, card);
        added += 1;
      }
      updateCard(card, device, now);
      applyFilter(id);
      kinds.add(device.kind);
      if (!homeOf.has(id)) loadHomes();
    }
    if (everything) {
      for (const id of [...cards.keys()]) {
        if (!fleet.devices.has(id)) {
          cards.get(id).element.remove();
          cards.delete(id);
        }
      }
    }
    if (added) {
      // New cards: put every card in id order in one go (a fragment, one reflow).
      const fragment = document.createDocumentFragment();
      for (const id of [...cards.keys()].sort(byNaturalId)) fragment.append(cards.get(id).element);
      grid.append(fragment);
    }
    addKinds(kinds);
    updateCount();
    const record = { cards: ids.length, added, ms: performance.now() - started, at: now };
    perf.flushes.push(record);
    if (perf.flushes.length > 200) perf.flushes.shift();
    // Layout and paint happen after this task; the next frame says when the user saw it.
    requestAnimationFrame(() => {
      record.paintedMs = performance.now() - started;
    });
  }

  function schedule(ids) {
    if (ids === null) pendingAll = true;
    else for (const id of ids) pending.add(id);
    if (!frame) frame = requestAnimationFrame(flush);
  }

  function addKinds(kinds) {
    const known = new Set([...kind.options].map((option) => option.value));
    for (const name of [...kinds].sort()) {
      if (!known.has(name)) kind.append(h('option', { value: name }, name));
    }
  }

  // Homes: the device list says which home each device is in; the stream does not. Loaded
  // once, and again (at most every 2 s) when devices appear that it did not list.
  function loadHomes() {
    if (homesLoading) return;
    const asked = [...fleet.devices.keys()];
    homesLoading = (async () => {
      try {
        const [devices, homes] = await Promise.all([
          allPages('/api/v1/devices/?page_size=500'),
          api('/api/v1/homes').catch(() => []),
        ]);
        for (const device of devices) homeOf.set(device.id, device.home?.id ?? null);
        for (const id of asked) if (!homeOf.has(id)) homeOf.set(id, null);
        const known = new Set([...home.options].map((option) => option.value));
        for (const each of listOf(homes, 'homes')) {
          if (!known.has(String(each.id))) home.append(h('option', { value: String(each.id) }, each.name));
        }
        if (home.value) refilter();
      } finally {
        setTimeout(() => (homesLoading = null), 2000);
      }
    })();
  }

  const unsubscribe = fleet.subscribe(schedule);
  const clock = setInterval(() => schedule(null), 15000); // "last seen" keeps ageing
  loadHomes();
  schedule(null);
  return () => {
    unsubscribe();
    clearInterval(clock);
    if (frame) cancelAnimationFrame(frame);
  };
}
