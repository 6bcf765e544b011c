// Login, the first-setup password change the SmartParcel auth asks for, and logout.
import { api, ApiError, session } from './api.js';
import { field, h, notice, show } from './dom.js';

// Shows the login in `root`; resolves once a full session exists.
export function login(root) {
  return new Promise((resolve) => {
    const username = h('input', { name: 'username', autocomplete: 'username', required: true });
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const message = h('div');
    const form = h(
      'form',
      { class: 'card narrow', id: 'login-form' },
      h('h1', {}, 'Sign in'),
      field('Username', username),
      field('Password', password),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      message,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      show(message);
      try {
        const answer = await api('/api/auth/login', {
          method: 'POST',
          body: { username: username.value, password: password.value },
          token: null,
        });
        session.set(answer.token);
        resolve();
      } catch (error) {
        if (error instanceof ApiError && error.body.requiresSetup && error.body.token) {
          firstSetup(root, error.body.token).then(resolve);
          return;
        }
        show(message, notice(describe(error)));
      }
    });
    show(root, form);
    username.focus();
  });
}

// The account still has its one-time password: choose a password and an app PIN. The setup
// token becomes a full session.
function firstSetup(root, setupToken) {
  return new Promise((resolve) => {
    const password = h('input', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true });
    const pin = h('input', { name: 'newPin', inputmode: 'numeric', pattern: '[0-9]{4,8}', required: true });
    const message = h('div');
    const form = h(
      'form',
      { class: 'card narrow', id: 'first-setup-form' },
      h('h1', {}, 'First-time setup'),
      h('p', { class: 'muted' }, 'Choose a new password (8+ characters, 3 of: lower, upper, digit, symbol) and a 4-8 digit app PIN.'),
      field('New password', password),
      field('App PIN', pin),
      h('button', { type: 'submit', class: 'primary' }, 'Save and continue'),
      message,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      show(message);
      try {
        await api('/api/auth/first-setup', {
          method: 'POST',
          body: { newPassword: password.value, newPin: pin.value },
          token: setupToken,
        });
        session.set(setupToken);
        resolve();
      } catch (error) {
        show(message, notice(describe(error)));
      }
    });
    show(root, form);
    password.focus();
  });
}

export async function logout() {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch {
    // The session may already be gone; the page forgets it either way.
  }
  session.clear();
}

export function describe(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  const extra = [];
  if (error.body.field) extra.push(`field ${error.body.field}`);
  if (error.body.remainingAttempts !== undefined) extra.push(`${error.body.remainingAttempts} attempts left`);
  return extra.length ? `${error.message} (${extra.join(', ')})` : error.message;
}
