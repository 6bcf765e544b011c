// Vending machines: slots with stock and the last reported level, restock, orders and states.
import { api, listOf } from './api.js';
import { describe } from './auth.js';
import { h, notice, show, table } from './dom.js';
import { when } from './format.js';
import { devicePicker } from './picker.js';

export function vendingView(root, fleet) {
  const { select, empty } = devicePicker(fleet, 'vending', 'vending-machine');
  const slotsBox = h('div', { id: 'slots' });
  const ordersBox = h('div', { id: 'orders' });
  const message = h('div');
  show(root, h('section', {}, h('div', { class: 'toolbar' }, h('h1', {}, 'Vending'), select), message,
    empty ? notice('You have no vending machines.', 'info') : [h('h2', {}, 'Slots'), slotsBox, h('h2', {}, 'Orders'), ordersBox]));
  if (empty) return () => {};

  const machine = () => encodeURIComponent(select.value);

  async function restock(slot, input) {
    show(message);
    try {
      await api(`/api/v1/vending/machines/${machine()}/slots/${slot}/restock`, {
        method: 'POST', body: { quantity: Number(input.value) },
      });
      show(message, notice(`Slot ${slot} restocked.`, 'ok'));
      load();
    } catch (error) {
      show(message, notice(describe(error)));
    }
  }

  function slotRow(slot) {
    const quantity = h('input', { type: 'number', min: 1, value: Math.max(1, (slot.capacity || 0) - (slot.stock || 0)), class: 'small', 'aria-label': `restock slot ${slot.slot}` });
    const fill = slot.capacity ? Math.round((100 * slot.stock) / slot.capacity) : 0;
    return h('tr', { 'data-slot': slot.slot },
      h('td', {}, String(slot.slot)),
      h('td', {}, slot.product_name || slot.product_id || '—'),
      h('td', {}, slot.price === null || slot.price === undefined ? '—' : `Rp ${slot.price}`),
      h('td', {}, h('meter', { min: 0, max: slot.capacity || 1, value: slot.stock || 0, title: `${fill}%` }), ` ${slot.stock}/${slot.capacity}`),
      h('td', {}, slot.level === null || slot.level === undefined ? '—' : `${slot.level} (${when(slot.level_at)})`),
      h('td', {}, quantity, h('button', { type: 'button', onclick: () => restock(slot.slot, quantity) }, 'Restock')));
  }

  async function load() {
    try {
      const [slots, orders] = await Promise.all([
        api(`/api/v1/vending/machines/${machine()}/slots`),
        api(`/api/v1/vending/orders?machine_id=${machine()}&page_size=20`),
      ]);
      show(slotsBox, table(['slot', 'product', 'price', 'stock', 'reported level', 'restock'], listOf(slots, 'slots').map(slotRow)));
      show(ordersBox, table(['order', 'slot', 'amount', 'status', 'created', 'error'], listOf(orders, 'orders').map((order) =>
        h('tr', {}, h('td', {}, order.id), h('td', {}, String(order.slot)), h('td', {}, `${order.amount} ${order.currency || ''}`),
          h('td', {}, h('span', { class: `state state-${String(order.status).toLowerCase()}` }, order.status)),
          h('td', {}, when(order.created_at)), h('td', {}, order.error || '')))));
    } catch (error) {
      show(message, notice(describe(error)));
    }
  }

  select.addEventListener('change', load);
  load();
  const timer = setInterval(load, 10000);
  return () => clearInterval(timer);
}
