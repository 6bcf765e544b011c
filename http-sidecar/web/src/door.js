// The door lock: remote unlock with the door PIN (wrong PINs show the attempts left; a lockout
// shows its countdown and disables the button until it ends) and the lock's event history.
import { ApiError, api, listOf } from './api.js';
import { describe } from './auth.js';
import { field, h, notice, show, table } from './dom.js';
import { when } from './format.js';
import { devicePicker } from './picker.js';

export function doorView(root, fleet) {
  const { select, empty } = devicePicker(fleet, 'door-lock', 'door-lock');
  const pin = h('input', { id: 'door-pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', required: true });
  const unlock = h('button', { type: 'submit', class: 'primary', id: 'door-unlock' }, 'Unlock');
  const message = h('div', { id: 'door-message' });
  const history = h('div', { id: 'door-history' });
  const form = h('form', { class: 'card narrow' }, field('Door PIN', pin), unlock, message);
  show(root, h('section', {}, h('div', { class: 'toolbar' }, h('h1', {}, 'Door lock'), select),
    empty ? notice('You have no door locks.', 'info') : [form, h('h2', {}, 'Events'), history]));
  if (empty) return () => {};
  let countdown = 0;

  function lockedOut(seconds) {
    clearInterval(countdown);
    let left = seconds;
    const line = notice('', 'error');
    line.id = 'door-lockout';
    const tick = () => {
      line.textContent = `Locked out after too many wrong PINs: try again in ${left} s.`;
      unlock.disabled = left > 0;
      if (left <= 0) {
        clearInterval(countdown);
        show(message, notice('You may try again.', 'info'));
      }
      left -= 1;
    };
    show(message, line);
    tick();
    countdown = setInterval(tick, 1000);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    show(message);
    unlock.disabled = true;
    try {
      await api('/api/device/control/door', { method: 'POST', body: { pin: pin.value, deviceId: select.value } });
      show(message, notice('Unlock sent to the door.', 'ok'));
      unlock.disabled = false;
    } catch (error) {
      unlock.disabled = false;
      if (error instanceof ApiError && error.status === 429) lockedOut(Number(error.body.remainingSeconds) || 30);
      else show(message, notice(error instanceof ApiError && error.code === 'invalid_pin'
        ? `Wrong PIN: ${error.body.remainingAttempts} attempts left.` : describe(error)));
    }
    pin.value = '';
    loadHistory();
  });

  async function loadHistory() {
    try {
      const page = await api(`/api/v1/devices/${encodeURIComponent(select.value)}/events?page_size=20`);
      show(history, table(['when', 'topic', 'what'], listOf(page).map((item) =>
        h('tr', {}, h('td', {}, when(item.at)), h('td', {}, item.subtopic), h('td', {}, h('code', {}, JSON.stringify(item.payload)))))));
    } catch (error) {
      show(history, notice(describe(error)));
    }
  }

  select.addEventListener('change', loadHistory);
  loadHistory();
  const timer = setInterval(loadHistory, 10000);
  return () => {
    clearInterval(timer);
    clearInterval(countdown);
  };
}
