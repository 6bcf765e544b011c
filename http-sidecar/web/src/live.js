// The live fleet: one EventSource on GET /api/v1/stream (the token as ?access_token=, the one
// route that takes it, since EventSource cannot send headers). A snapshot or resync replaces
// every device; a device event replaces that one device. Listeners hear which ids changed
// (null: all of them) and decide themselves when to draw.
export class LiveFleet {
  constructor() {
    this.devices = new Map();
    this.listeners = new Set();
    this.source = null;
    this.state = 'closed';
    this.events = 0;
  }

  connect(token, onEnded) {
    this.close();
    this.state = 'connecting';
    this.notifyState();
    const source = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(token)}`);
    this.source = source;
    const replaceAll = (event) => {
      const devices = JSON.parse(event.data).devices || [];
      this.devices = new Map(devices.map((device) => [device.id, device]));
      this.emit(null);
    };
    source.addEventListener('snapshot', replaceAll);
    source.addEventListener('resync', replaceAll);
    source.addEventListener('device', (event) => {
      const device = JSON.parse(event.data);
      this.events += 1;
      this.devices.set(device.id, device);
      this.emit([device.id]);
    });
    // The session ended (logout, revocation): reconnecting would only get 401.
    source.addEventListener('end', () => {
      this.close();
      onEnded?.();
    });
    source.onopen = () => {
      this.state = 'live';
      this.notifyState();
    };
    source.onerror = () => {
      this.state = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      this.notifyState();
    };
  }

  close() {
    this.source?.close();
    this.source = null;
    this.state = 'closed';
    this.notifyState();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(ids) {
    for (const listener of this.listeners) listener(ids);
  }

  notifyState() {
    window.dispatchEvent(new CustomEvent('sarang:live', { detail: this.state }));
  }

  ofKind(kind) {
    return [...this.devices.values()].filter((device) => device.kind === kind);
  }
}
