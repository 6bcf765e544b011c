// A read-only integration (docs/integrations.md) through MQTT.js, a second real client library
// beside the tests' libmosquitto, against a real stack (with_stack.sh: PostgreSQL, mosquitto with
// the plugins). Over MQTT 5 and 3.1.1: one SUBSCRIBE answered per filter (the integration's
// filter and a shared subscription granted, vm/# refused), a device's readings delivered through
// each, the integration's own publish refused (MQTT 5: PUBACK 0x87) and never delivered, and
// `sarangctl integrations revoke` closing both connections within a second.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';

const env = (name) => {
  const value = process.env[name];
  assert.ok(value, `${name} must be set (run through with_stack.sh)`);
  return value;
};
const CTL = env('SARANG_TEST_SARANGCTL');
const CONFIG = env('SARANG_CONFIG');
const BROKER = `mqtt://127.0.0.1:${env('SARANG_TEST_MQTT_PORT')}`;
const mqtt = createRequire(join(env('SARANG_E2E_NODE_MODULES'), 'noop.js'))('mqtt');
const run = promisify(execFile);

const NOT_AUTHORIZED_V5 = 0x87; // SUBACK, PUBACK and CONNACK reason code 135
const SUBACK_FAILURE_V311 = 0x80; // MQTT 3.1.1 SUBACK return code 128
const CONNACK_NOT_AUTHORIZED_V311 = 5;
const V5 = 5;
const V311 = 4; // MQTT.js's protocolVersion for 3.1.1
const DEVICE = 'pi-mqttjs';
const NAME = 'nodered';
const USERNAME = `integration:${NAME}`;
const TOPIC = `hydro/${DEVICE}/reading`;
const FILTERS = ['hydro/+/reading', '$share/nodered/hydro/+/reading', 'vm/#'];

async function ctl(...args) {
  const { stdout } = await run(CTL, ['--config', CONFIG, ...args], { timeout: 30000 });
  return stdout;
}

const clients = [];
after(() => clients.forEach((client) => client.end(true)));

// Resolves with the connected client; rejects with the CONNACK's error (its code is the reason
// code) or after five seconds. Never reconnects: a closed connection stays closed.
function connect({ clientId, username, password, protocolVersion }) {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(BROKER, {
      clientId, username, password, protocolVersion, clean: true, reconnectPeriod: 0, connectTimeout: 5000,
    });
    clients.push(client);
    const received = [];
    client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
    client.received = received;
    client.once('connect', () => resolve(client));
    client.on('error', (error) => { client.lastError = error; }); // an unheard 'error' would throw
    client.once('error', (error) => { client.end(true); reject(error); });
    client.once('close', () => reject(new Error(`${clientId}: connection closed before CONNACK`)));
  });
}

// One SUBSCRIBE with all the filters at QoS 1: the SUBACK's codes, one per filter. MQTT.js
// rejects when any code is a failure, with the SUBACK attached.
function subackCodes(client, filters) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no SUBACK within 5 s')), 5000);
    client.subscribe(filters, { qos: 1 }, (error, _granted, packet) => {
      clearTimeout(timer);
      const suback = packet ?? error?.packet;
      if (!suback) reject(error ?? new Error('no SUBACK packet'));
      else resolve(suback.granted);
    });
  });
}

async function until(what, predicate, timeout = 3000) {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) {
      const seen = Object.entries(readers).map(([label, reader]) =>
        `${label} (${reader.connected ? 'connected' : 'closed'}): ${JSON.stringify(reader.received)}`);
      throw new Error(`timed out after ${timeout} ms waiting for ${what}; received ${seen.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const copies = (client, payload) =>
  client.received.filter((message) => message.topic === TOPIC && message.payload === payload).length;

const device = JSON.parse(await ctl('devices', 'create', '--kind', 'hydro-sensor', '--id', DEVICE, '--name', DEVICE, '--json'));
assert.ok(device.password, 'sarangctl devices create --json printed the device credential');
const integration = JSON.parse(await ctl('integrations', 'create', NAME, '--read', 'hydro/+/reading', '--json'));
assert.equal(integration.username, USERNAME);
assert.ok(integration.password, 'sarangctl integrations create --json printed the credential');
const login = { username: USERNAME, password: integration.password };
// Every MQTT.js client of the integration, by protocol; the device's own client.
const readers = {};
let sensor;

test('a device connects with MQTT.js under its own id', async () => {
  sensor = await connect({ clientId: DEVICE, username: DEVICE, password: device.password, protocolVersion: V5 });
});

test("MQTT.js's default client id is refused for an integration", async () => {
  // No clientId: MQTT.js makes up "mqttjs_<random>", which is not integration:<name>[:suffix].
  await assert.rejects(connect({ ...login, protocolVersion: V5 }), { code: NOT_AUTHORIZED_V5 });
});

for (const [label, protocolVersion, clientId, refusedCode] of [
  ['MQTT 5', V5, USERNAME, NOT_AUTHORIZED_V5],
  ['MQTT 3.1.1', V311, `${USERNAME}:v311`, SUBACK_FAILURE_V311],
]) {
  test(`${label}: the integration's filter and its shared form are granted, vm/# is refused`, async () => {
    const reader = await connect({ ...login, clientId, protocolVersion });
    readers[label] = reader;
    assert.deepEqual(await subackCodes(reader, FILTERS), [1, 1, refusedCode]);
  });
}

const both = () => [readers['MQTT 5'], readers['MQTT 3.1.1']];
const publishReading = async (ph) => {
  const reading = JSON.stringify({ ph, tds: 840, temperature: 21.5 });
  await sensor.publishAsync(TOPIC, reading, { qos: 1 }); // rejects unless the PUBACK is a success
  return reading;
};

// mosquitto sends an MQTT 3.1.1 client one copy of a message however many of its subscriptions
// match, so each path is checked with the other one unsubscribed.
test('the shared subscription hands each reading to one member of the group, either protocol', async () => {
  for (const reader of both()) await reader.unsubscribeAsync('hydro/+/reading');
  const readings = [];
  for (let i = 0; i < 4; i++) readings.push(await publishReading(6.0 + i / 10));
  const total = () => readings.reduce((sum, r) => sum + copies(readers['MQTT 5'], r) + copies(readers['MQTT 3.1.1'], r), 0);
  await until('four shared copies', () => total() === 4);
  await pause(300); // and no more
  for (const reading of readings)
    assert.equal(copies(readers['MQTT 5'], reading) + copies(readers['MQTT 3.1.1'], reading), 1, `one copy of ${reading}`);
  for (const [label, reader] of Object.entries(readers))
    assert.ok(readings.some((r) => copies(reader, r) > 0), `${label} got its share of the group's readings`);
});

test("hydro/+/reading gives each client its own copy of a device's reading", async () => {
  for (const reader of both()) {
    assert.deepEqual(await subackCodes(reader, ['hydro/+/reading']), [1]);
    await reader.unsubscribeAsync('$share/nodered/hydro/+/reading');
  }
  const reading = await publishReading(6.5);
  await until('a copy for each client', () => both().every((reader) => copies(reader, reading) === 1));
  await pause(300);
  for (const reader of both()) assert.equal(copies(reader, reading), 1);
});

test('the integration never publishes: PUBACK 0x87 over MQTT 5, dropped over 3.1.1', async () => {
  const forged = JSON.stringify({ ph: 1.0, forged: true });
  await assert.rejects(readers['MQTT 5'].publishAsync(TOPIC, forged, { qos: 1 }), (error) => {
    assert.equal(error.code, NOT_AUTHORIZED_V5, `PUBACK reason code: ${error.message}`);
    return true;
  });
  // 3.1.1 has no way to say no: the PUBACK comes, and the broker drops the message.
  await readers['MQTT 3.1.1'].publishAsync(TOPIC, forged, { qos: 1 });
  // Both clients read that topic: a forgery that got through would reach them before the
  // device's next reading does.
  const control = await publishReading(6.6);
  await until('the control reading', () => both().every((reader) => copies(reader, control) === 1));
  await pause(200);
  for (const reader of both()) assert.equal(copies(reader, forged), 0);
});

test('sarangctl integrations revoke closes both connections within a second', async () => {
  const closedAfter = {};
  const started = performance.now();
  const closed = Object.entries(readers).map(([label, reader]) => new Promise((resolve) => {
    assert.ok(reader.connected, `${label} is connected before the revoke`);
    reader.once('close', () => resolve((closedAfter[label] = Math.round(performance.now() - started))));
  }));
  await ctl('integrations', 'revoke', NAME);
  await Promise.race([Promise.all(closed), pause(3000)]);
  console.log(`# closed after revoke (ms): ${JSON.stringify(closedAfter)}`);
  for (const label of Object.keys(readers)) {
    assert.ok(closedAfter[label] !== undefined, `${label} still connected 3 s after the revoke`);
    assert.ok(closedAfter[label] < 1500, `${label} closed ${closedAfter[label]} ms after the revoke started`);
  }
  // And the credential is refused from then on.
  await assert.rejects(connect({ ...login, clientId: USERNAME, protocolVersion: V5 }), { code: NOT_AUTHORIZED_V5 });
  await assert.rejects(connect({ ...login, clientId: `${USERNAME}:v311`, protocolVersion: V311 }),
    { code: CONNACK_NOT_AUTHORIZED_V311 });
  assert.match(await ctl('integrations', 'list'), new RegExp(`${NAME}\\s.*revoked`));
  // The device is untouched.
  assert.ok(sensor.connected);
  await sensor.publishAsync(`hydro/${DEVICE}/status`, 'online', { qos: 1 });
});
