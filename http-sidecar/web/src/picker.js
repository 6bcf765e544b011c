// A <select> of the caller's devices of one kind (from the live fleet), remembering the choice.
import { h } from './dom.js';
import { byNaturalId } from './format.js';

export function devicePicker(fleet, kind, id) {
  const devices = fleet.ofKind(kind).sort((a, b) => byNaturalId(a.id, b.id));
  const select = h('select', { id, 'aria-label': kind },
    devices.map((device) => h('option', { value: device.id }, `${device.name || device.id} (${device.id})`)));
  const remembered = sessionStorage.getItem(`sarang.pick.${kind}`);
  if (remembered && devices.some((device) => device.id === remembered)) select.value = remembered;
  select.addEventListener('change', () => sessionStorage.setItem(`sarang.pick.${kind}`, select.value));
  return { select, empty: devices.length === 0 };
}
