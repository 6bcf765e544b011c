// The parcel box: the package gallery (thumbnails, the full photo, pickup, delete), the box's
// buttons (capture, flash, buzzer, holder) and its settings within the seed's ranges.
import { api, imageUrl } from './api.js';
import { describe } from './auth.js';
import { field, h, notice, show } from './dom.js';
import { when } from './format.js';
import { devicePicker } from './picker.js';

// The seed's ranges (docs/parcel.md); the server checks them again.
const SETTINGS = [
  { path: ['ultra', 'min'], label: 'Ultrasonic min (cm)', min: 5, max: 50 },
  { path: ['ultra', 'max'], label: 'Ultrasonic max (cm)', min: 10, max: 50 },
  { path: ['lock', 'ms'], label: 'Holder open (ms)', min: 1000, max: 60000 },
  { path: ['buzzer', 'ms'], label: 'Buzzer duration (ms)', min: 1000, max: 300000 },
  { path: ['buzzer', 'buzzOn'], label: 'Buzz on (ms)', min: 100, max: 2000 },
  { path: ['buzzer', 'buzzOff'], label: 'Buzz off (ms)', min: 100, max: 2000 },
  { path: ['doorLock', 'ms'], label: 'Door lock open (ms)', min: 1000, max: 30000 },
];

const CONTROLS = [
  { label: 'Capture', action: 'capture', body: { capture: true } },
  { label: 'Flash', action: 'flash', body: { flash: 'pulse', ms: 300 } },
  { label: 'Buzzer on', action: 'buzzer', body: { buzzer: 'start', ms: 3000 } },
  { label: 'Buzzer off', action: 'buzzer', body: { buzzer: 'stop' } },
  { label: 'Open holder', action: 'holder', body: { holder: 'pulse', ms: 3000 } },
];

export function parcelView(root, fleet) {
  const { select, empty } = devicePicker(fleet, 'parcel-box', 'parcel-box');
  const message = h('div');
  const gallery = h('div', { class: 'gallery', id: 'gallery' });
  const settingsForm = h('form', { class: 'settings', id: 'parcel-settings' });
  const viewer = h('dialog', { id: 'photo-viewer' });
  const urls = [];
  show(root, h('section', {}, h('div', { class: 'toolbar' }, h('h1', {}, 'Parcel box'), select), message,
    empty ? notice('You have no parcel boxes.', 'info') : [
      h('div', { class: 'buttons' }, CONTROLS.map((control) =>
        h('button', { type: 'button', 'data-control': control.action, onclick: () => send(control) }, control.label))),
      h('h2', {}, 'Packages'), gallery, h('h2', {}, 'Settings'), settingsForm, viewer]));
  if (empty) return () => {};
  const box = () => select.value;

  async function send(control) {
    show(message);
    try {
      await api(`/api/device/control/${control.action}?deviceId=${encodeURIComponent(box())}`, { method: 'POST', body: control.body });
      show(message, notice(`${control.label}: sent to ${box()}.`, 'ok'));
    } catch (error) {
      show(message, notice(describe(error)));
    }
  }

  async function openPhoto(item) {
    const url = await imageUrl(item.photoUrl);
    urls.push(url);
    show(viewer, h('img', { src: url, alt: `package ${item.id}` }),
      h('form', { method: 'dialog' }, h('button', {}, 'Close')));
    viewer.showModal();
  }

  async function act(item, what) {
    show(message);
    try {
      if (what === 'pickup') await api(`/api/packages/${item.id}/pickup`, { method: 'POST' });
      else await api(`/api/packages/${item.id}`, { method: 'DELETE' });
      loadPackages();
    } catch (error) {
      show(message, notice(describe(error)));
    }
  }

  function tile(item) {
    const image = h('img', { alt: `package ${item.id}`, class: 'thumb', width: 150, height: 150 });
    imageUrl(item.thumbUrl).then((url) => { urls.push(url); image.src = url; }).catch(() => image.classList.add('broken'));
    return h('figure', { class: 'package', 'data-package': item.id },
      h('button', { type: 'button', class: 'photo', onclick: () => openPhoto(item), 'aria-label': 'full photo' }, image),
      h('figcaption', {}, h('span', {}, when(item.timestamp)), h('span', { class: `state state-${item.status}` }, item.status || 'received'),
        h('span', { class: 'row' },
          h('button', { type: 'button', onclick: () => act(item, 'pickup'), disabled: item.status === 'picked_up' }, 'Picked up'),
          h('button', { type: 'button', class: 'danger', onclick: () => act(item, 'delete') }, 'Delete'))));
  }

  async function loadPackages() {
    try {
      const answer = await api(`/api/packages?limit=24&deviceId=${encodeURIComponent(box())}`);
      const items = answer.packages || [];
      show(gallery, items.length ? items.map(tile) : h('p', { class: 'muted' }, 'No packages yet.'));
    } catch (error) {
      show(gallery, notice(describe(error)));
    }
  }

  async function loadSettings() {
    try {
      const answer = await api(`/api/device/settings?deviceId=${encodeURIComponent(box())}`);
      const current = answer.settings || {};
      const inputs = SETTINGS.map((spec) => {
        const value = spec.path.reduce((at, key) => (at ? at[key] : undefined), current);
        return { spec, input: h('input', { type: 'number', min: spec.min, max: spec.max, value: value ?? '', name: spec.path.join('.'), required: true }) };
      });
      show(settingsForm, inputs.map(({ spec, input }) => field(`${spec.label} [${spec.min}-${spec.max}]`, input)),
        h('button', { type: 'submit', class: 'primary' }, 'Save settings'));
      settingsForm.onsubmit = async (event) => {
        event.preventDefault();
        const body = {};
        for (const { spec, input } of inputs) {
          const [group, key] = spec.path;
          body[group] = { ...(body[group] || {}), [key]: Number(input.value) };
        }
        show(message);
        try {
          await api(`/api/device/settings?deviceId=${encodeURIComponent(box())}`, { method: 'PUT', body });
          show(message, notice('Settings saved and sent to the box.', 'ok'));
        } catch (error) {
          show(message, notice(describe(error)));
        }
      };
    } catch (error) {
      show(settingsForm, notice(describe(error)));
    }
  }

  select.addEventListener('change', () => { loadPackages(); loadSettings(); });
  loadPackages();
  loadSettings();
  const timer = setInterval(loadPackages, 10000);
  return () => {
    clearInterval(timer);
    for (const url of urls) URL.revokeObjectURL(url);
  };
}
