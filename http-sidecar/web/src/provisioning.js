// SoftAP pre-registration (seed 002): the app registers a device before it is on the network
// and hands it mqtt_config; shown here as JSON and as a QR code for the app to scan.
import QRCode from 'qrcode';
import { api, listOf } from './api.js';
import { describe } from './auth.js';
import { field, h, notice, show } from './dom.js';

export function provisioningView(root) {
  const chip = h('input', { name: 'chip_id', required: true, value: `temp_${Date.now()}` });
  const name = h('input', { name: 'device_name', required: true, placeholder: 'Living Room Sensor' });
  const home = h('select', { name: 'home_id', required: true });
  const newHome = h('input', { name: 'new_home', placeholder: 'New home name' });
  const result = h('div', { id: 'provision-result' });
  const message = h('div');
  const form = h('form', { class: 'card narrow', id: 'provision-form' },
    field('Temporary chip id', chip), field('Device name', name), field('Home', home),
    h('button', { type: 'submit', class: 'primary' }, 'Pre-register'), message);
  const homeForm = h('form', { class: 'row' }, newHome, h('button', { type: 'submit' }, 'Add home'));
  let poll = 0;
  show(root, h('section', {}, h('h1', {}, 'Provisioning'), homeForm, form, result));

  async function loadHomes() {
    const homes = listOf(await api('/api/v1/homes').catch(() => []), 'homes');
    show(home, homes.map((each) => h('option', { value: String(each.id) }, each.name)));
  }

  homeForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const made = await api('/api/v1/homes', { method: 'POST', body: { name: newHome.value } });
      newHome.value = '';
      await loadHomes();
      home.value = String(made.id);
    } catch (error) {
      show(message, notice(describe(error)));
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    show(message);
    try {
      const answer = await api('/api/provision/register/', {
        method: 'POST',
        body: { chip_id: chip.value, home_id: Number(home.value), device_name: name.value },
      });
      const config = JSON.stringify(answer.mqtt_config);
      const canvas = h('canvas', { id: 'provision-qr' });
      const status = h('p', { id: 'provision-status', class: 'muted' }, 'Waiting for the device to connect…');
      show(result, h('div', { class: 'card' }, h('h2', {}, 'mqtt_config'),
        h('p', { class: 'muted' }, 'Shown once: it holds the device password. Scan it with the app or copy it.'),
        h('div', { class: 'row' }, canvas, h('pre', {}, JSON.stringify(answer.mqtt_config, null, 2))), status));
      await QRCode.toCanvas(canvas, config, { errorCorrectionLevel: 'M', width: 240 });
      clearInterval(poll);
      poll = setInterval(async () => {
        try {
          const state = await api(`/api/provision/status/${encodeURIComponent(answer.provisioning_id)}`);
          status.textContent = state.is_provisioned
            ? `Provisioned: ${state.device_id} connected ${state.connected_at}.`
            : state.is_expired ? 'Expired: pre-register again.' : 'Waiting for the device to connect…';
          if (state.is_provisioned || state.is_expired) clearInterval(poll);
        } catch {
          clearInterval(poll);
        }
      }, 3000);
    } catch (error) {
      show(message, notice(describe(error)));
    }
  });

  loadHomes();
  return () => clearInterval(poll);
}
