#!/usr/bin/env node
// A morning at the demo's flagship store, through the public API only: a customer orders 1.5 kg
// of king crab for pickup (sold by weight: ordered in grams, paid as an authorisation up to 10%
// over the estimate), the provider's signed webhook says paid, a picker clocks in to seafood,
// puts the crab on the scale (1,420 g) and closes the bag. The order then shows the weighed
// line, the price of what was weighed, and the rest of the authorisation owed back as a refund
// (GET /v1/stores/sh-jinqiao/refunds lists it for the manager). Then what goes with crab at this
// store, and her recommendations: the crab again, and what the regulars buy with it.
//
// scripts/demo runs it once the server answers. Running it again changes nothing: it finds the
// demo customer's order and shows it. Needs Node 18+ (fetch) and nothing from npm.
// Environment: FRESHLANE_URL (default http://127.0.0.1:8080), FRESHLANE_ADMIN_TOKEN,
// FRESHLANE_PAYMENT_WEBHOOK_SECRET.
import { createHmac } from 'node:crypto';

const base = process.env.FRESHLANE_URL ?? 'http://127.0.0.1:8080';
const admin = process.env.FRESHLANE_ADMIN_TOKEN;
const webhookSecret = process.env.FRESHLANE_PAYMENT_WEBHOOK_SECRET;
if (!admin || !webhookSecret) {
  console.error('demo-day: FRESHLANE_ADMIN_TOKEN and FRESHLANE_PAYMENT_WEBHOOK_SECRET must be set');
  process.exit(2);
}
const store = 'sh-jinqiao';
const crab = 'KINGCRAB-M';
const phone = '+8613800009999';
const ordered = 1500;
const weighed = 1420;

async function call(method, path, { token, body, headers = {} } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  return { status: res.status, json };
}

async function expect(status, method, path, options) {
  const r = await call(method, path, options);
  if (r.status !== status) {
    throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
  }
  return r.json;
}

const yuan = (fen) => `¥${(fen / 100).toFixed(2)}`;

function show(order) {
  const line = order.lines.find((l) => l.sku === crab);
  const w = line.weight;
  console.log(`demo-day: order ${order.order_id} (${order.status})`);
  console.log(`  ${line.name}: ordered ${w.ordered_grams} g, weighed ` +
              `${w.weighed_grams ?? '-'} g, ${yuan(line.line_total_minor)} at ` +
              `${yuan(line.unit_price_minor)}/${line.unit}`);
  console.log(`  paid ${yuan(order.payment.amount_minor)} (authorised up to 10% over the estimate); ` +
              `charged ${yuan(order.total_minor)}; owed back ${yuan(order.refund_minor)}`);
  for (const r of order.refunds ?? []) {
    console.log(`  refund ${r.refund_id}: ${yuan(r.amount_minor)} ${r.reason}, ${r.state}`);
  }
}

async function main() {
  // Done before? The demo customer's order is found by the phone's end.
  const found = await expect(200, 'GET', `/v1/stores/${store}/orders?q=${phone.slice(-4)}`,
                             { token: admin });
  if (found.items.length > 0) {
    show(await expect(200, 'GET', `/v1/orders/${found.items[0].order_id}`, { token: admin }));
    return;
  }

  const customer = await expect(201, 'POST', '/v1/customers',
                                { body: { phone, name: '陈静 (demo)' } });
  const order = await expect(201, 'POST', '/v1/orders', {
    token: customer.token,
    headers: { 'Idempotency-Key': 'demo-day-crab' },
    body: { store_id: store, fulfillment: 'pickup', lines: [{ sku: crab, grams: ordered }] },
  });

  // The provider's webhook: signed over "<t>.<body>" with the shared secret.
  const body = JSON.stringify({ event_id: `demo-day-${order.order_id}`, order_id: order.order_id,
                                status: 'succeeded', amount_minor: order.payment.amount_minor });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', webhookSecret).update(`${t}.${body}`).digest('hex');
  await expect(200, 'POST', '/v1/payments/webhook',
               { body, headers: { 'X-Freshlane-Signature': `t=${t},v1=${v1}` } });

  const picker = await expect(201, 'POST', `/v1/stores/${store}/staff`,
                              { token: admin, body: { name: '王芳 (demo)', job: 'picker' } });
  await expect(200, 'POST', `/v1/stores/${store}/pickers/clock-in`,
               { token: picker.token, body: { zone: 'seafood' } });
  const trip = await expect(200, 'POST', `/v1/stores/${store}/pick-tasks/next`,
                            { token: picker.token });
  const task = trip.tasks.find((x) => x.order_id === order.order_id);
  const take = task.lines.find((l) => l.sku === crab).take;
  const label = (await expect(200, 'GET', `/v1/stores/${store}/products/${crab}`)).shelf_code;
  console.log(`demo-day: picker takes ${crab} from shelf ${take.shelf} (lot ${take.lot_id}), ` +
              `the scale says ${weighed} g`);
  await expect(200, 'POST', `/v1/pick-tasks/${task.task_id}/scan`,
               { token: picker.token, body: { code: label, grams: weighed } });
  const finished = await expect(200, 'POST', `/v1/pick-tasks/${task.task_id}/finish`,
                                { token: picker.token });
  console.log(`demo-day: bag closed, lane ${finished.bag?.lane_id ?? '(waiting)'}`);
  await expect(200, 'POST', `/v1/stores/${store}/pickers/clock-out`, { token: picker.token });
  show(await expect(200, 'GET', `/v1/orders/${order.order_id}`, { token: customer.token }));

  // Her next visit to the app: what the counts learned from the store's baskets and from hers.
  const product = await expect(200, 'GET', `/v1/stores/${store}/products/${crab}`);
  console.log(`demo-day: often bought with ${crab}: ` +
              (product.often_with.map((x) => `${x.name} (${x.baskets})`).join(', ') || '(none yet)'));
  const mine = await expect(200, 'GET',
                            `/v1/customers/me/recommendations?store_id=${store}&kind=for_you&limit=5`,
                            { token: customer.token });
  console.log('demo-day: recommended for 陈静 (for_you):');
  for (const item of mine.items) {
    console.log(`  ${item.name} ${yuan(item.price_minor)}: ${item.reason}`);
  }
}

main().catch((e) => {
  console.error(`demo-day: ${e.message}`);
  process.exit(1);
});
