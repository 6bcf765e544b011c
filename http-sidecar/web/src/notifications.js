// Notifications: the WhatsApp pairing status, the caller's recipients, and their block and
// language (docs/notifications.md).
import { api } from './api.js';
import { describe } from './auth.js';
import { field, h, notice, show, table } from './dom.js';
import { when } from './format.js';

export function notificationsView(root) {
  const statusBox = h('div', { id: 'whatsapp-status' });
  const recipientsBox = h('div', { id: 'recipients' });
  const phone = h('input', { name: 'phone', placeholder: '6287812345678', inputmode: 'tel', required: true });
  const minutes = h('input', { name: 'minutes', type: 'number', min: 1, max: 525600, placeholder: 'until unblocked' });
  const language = h('select', { name: 'language' }, h('option', { value: 'id' }, 'Bahasa Indonesia'), h('option', { value: 'en' }, 'English'));
  const message = h('div');
  const addForm = h('form', { class: 'row' }, phone, h('button', { type: 'submit' }, 'Add recipient'));
  const blockForm = h('form', { class: 'row' }, field('Block for minutes', minutes), field('Language', language),
    h('button', { type: 'submit', name: 'block' }, 'Block'),
    h('button', { type: 'button', onclick: () => setBlock({ blocked: false, language: language.value }) }, 'Unblock'));
  show(root, h('section', {}, h('h1', {}, 'Notifications'), message, h('h2', {}, 'WhatsApp'), statusBox,
    h('h2', {}, 'Recipients'), recipientsBox, addForm, h('h2', {}, 'Block and language'), blockForm));

  async function run(action) {
    show(message);
    try {
      await action();
      load();
    } catch (error) {
      show(message, notice(describe(error)));
    }
  }

  function setBlock(body) {
    return run(async () => {
      const saved = await api('/api/whatsapp/block', { method: 'POST', body });
      const until = body.minutes ? ` for ${body.minutes} minutes` : ' until unblocked';
      show(message, notice(saved.blocked ? `WhatsApp notifications blocked${until}.` : 'WhatsApp notifications unblocked.', 'ok'));
    });
  }

  addForm.addEventListener('submit', (event) => {
    event.preventDefault();
    run(() => api('/api/whatsapp/recipients', { method: 'POST', body: { phone: phone.value } }).then(() => (phone.value = '')));
  });
  blockForm.addEventListener('submit', (event) => {
    event.preventDefault();
    setBlock({ blocked: true, minutes: minutes.value ? Number(minutes.value) : null, language: language.value });
  });

  async function load() {
    try {
      const answer = await api('/api/whatsapp/status');
      const config = answer.status?.config || answer.config || {};
      const connected = answer.status?.isConnected ?? answer.isConnected;
      show(statusBox, h('dl', { class: 'facts' },
        h('dt', {}, 'Paired'), h('dd', {}, config.isPaired ? 'yes' : 'no'),
        h('dt', {}, 'Connected'), h('dd', {}, connected ? 'yes' : 'no'),
        h('dt', {}, 'Blocked'), h('dd', {}, config.isBlocked ? `yes${config.blockedUntil ? ` until ${when(config.blockedUntil)}` : ''}` : 'no')));
      if (config.language) language.value = config.language;
    } catch (error) {
      show(statusBox, notice(describe(error)));
    }
    try {
      const answer = await api('/api/whatsapp/recipients');
      const unverified = new Set(answer.unverified || []);
      // An unverified number receives nothing but its code: the code it got confirms it.
      const verifyForm = (number) => {
        const code = h('input', { name: 'code', placeholder: 'code', inputmode: 'numeric', size: 6, required: true });
        const form = h('form', { class: 'row' }, code, h('button', { type: 'submit' }, 'Verify'));
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          run(() => api(`/api/whatsapp/recipients/${encodeURIComponent(number)}/verify`, { method: 'POST', body: { code: code.value } }));
        });
        return form;
      };
      show(recipientsBox, table(['phone', 'verified', ''], (answer.recipients || []).map((number) =>
        h('tr', {}, h('td', {}, number), h('td', {}, unverified.has(number) ? verifyForm(number) : 'yes'),
          h('td', {}, h('button', { type: 'button', class: 'danger',
            onclick: () => run(() => api(`/api/whatsapp/recipients/${encodeURIComponent(number)}`, { method: 'DELETE' })) }, 'Remove'))))));
    } catch (error) {
      show(recipientsBox, notice(describe(error)));
    }
  }

  load();
  return () => {};
}
