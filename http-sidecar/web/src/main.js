// The dashboard's entry: sign in, open the live stream, and show the view the URL's hash names
// (#/, #/device/ID, #/vending, #/parcel, #/door, #/provisioning, #/notifications).
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { api, session } from './api.js';
import { login, logout } from './auth.js';
import { deviceView } from './device.js';
import { doorView } from './door.js';
import { fleetView } from './fleet.js';
import { LiveFleet } from './live.js';
import { notificationsView } from './notifications.js';
import { parcelView } from './parcel.js';
import { provisioningView } from './provisioning.js';
import { vendingView } from './vending.js';

const root = document.getElementById('view');
const nav = document.getElementById('nav');
const logoutButton = document.getElementById('logout');
const liveBadge = document.getElementById('live');
const fleet = new LiveFleet();
let leaveView = () => {};

function route() {
  leaveView();
  const [, page = '', id] = location.hash.replace(/^#/, '').split('/');
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('active', link.getAttribute('href') === `#/${page}`);
  const views = {
    '': () => fleetView(root, fleet),
    device: () => deviceView(root, fleet, decodeURIComponent(id || '')),
    vending: () => vendingView(root, fleet),
    parcel: () => parcelView(root, fleet),
    door: () => doorView(root, fleet),
    provisioning: () => provisioningView(root),
    notifications: () => notificationsView(root),
  };
  leaveView = (views[page] || views[''])() || (() => {});
}

async function signedOut() {
  leaveView();
  leaveView = () => {};
  fleet.close();
  session.clear();
  nav.hidden = logoutButton.hidden = liveBadge.hidden = true;
  await login(root);
  start();
}

// The stream's snapshot arrives before the first view needs it, so views can pick devices.
async function start() {
  nav.hidden = logoutButton.hidden = liveBadge.hidden = false;
  const ready = new Promise((resolve) => {
    const stop = fleet.subscribe(() => {
      stop();
      resolve();
    });
    setTimeout(resolve, 5000);
  });
  fleet.connect(session.token, signedOut);
  await ready;
  route();
}

window.addEventListener('hashchange', route);
window.addEventListener('sarang:unauthorized', signedOut);
window.addEventListener('sarang:live', (event) => {
  liveBadge.textContent = event.detail;
  liveBadge.className = `live ${event.detail}`;
});
logoutButton.addEventListener('click', async () => {
  await logout();
  signedOut();
});

// A token from an earlier load of this tab is used if it is still a full session.
if (session.token) {
  api('/api/auth/session').then((answer) => (answer.session?.scope === 'full' ? start() : signedOut()), signedOut);
} else {
  signedOut();
}
