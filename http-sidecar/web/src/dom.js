// Building DOM without HTML strings: server data only ever becomes text nodes or attribute
// values, so a device named "<img onerror=...>" is shown as those characters (and the page's
// Content-Security-Policy forbids inline script anyway).

// h('button', {class: 'primary', onclick: fn, disabled: true}, 'text', childNode, [more])
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      element.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      element.className = value;
    } else if (key === 'value') {
      element.value = value;
    } else {
      element.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// Replaces an element's content.
export function show(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A message line for a failed request or a result.
export function notice(text, kind = 'error') {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function table(headers, rows) {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, headers.map((name) => h('th', {}, name)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'nothing yet'))),
  );
}

// A labelled input; returns the <label> (input inside).
export function field(label, input) {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}
