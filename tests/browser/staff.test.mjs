// The staff terminal in a real browser, against the real server and PostgreSQL (scripts/
// browser-test starts them). A store is set up through the API; then, in Debian's chromium:
// the manager's board is opened first and never reloaded; a picker signs in, clocks in to a
// zone, is woken by two paid orders, scans a wrong item (and is told), scans the rest, finishes
// each bag and sees the lane; a packer packs both orders and hands the pickup order over (a
// wrong code first: the attempt limit's answer is shown); a courier clocks in, gets the trip
// live, picks up and delivers against the customer's code. The board shows every step as it
// happens. No console error, no request off 127.0.0.1. Screenshots at phone and wall sizes.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const base = process.env.FRESHLANE_URL;
const admin = process.env.FRESHLANE_ADMIN_TOKEN;
const webhookSecret = process.env.FRESHLANE_PAYMENT_WEBHOOK_SECRET;
const shots = process.env.FRESHLANE_SCREENSHOTS;
mkdirSync(shots, { recursive: true });
// No isMobile/hasTouch: changing those reloads a page, and the board must never reload.
const PHONE = { width: 390, height: 844, deviceScaleFactor: 2 };
const WALL = { width: 1920, height: 1080, deviceScaleFactor: 1 };
const store = 'browser-store';
const home = { lat: 31.2500, lon: 121.5900 };
const door = { lat: 31.2560, lon: 121.5960, address: '金桥路 100 号 3 楼' };

const log = (...a) => console.log('browser-test:', ...a);

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
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
async function expect(status, method, path, options) {
  const r = await call(method, path, options);
  assert.equal(r.status, status, `${method} ${path}: ${JSON.stringify(r.json)}`);
  return r.json;
}

// --- the store, through the API ------------------------------------------------------------
const products = [
  { sku: 'MILK-1L', name: '光明鲜牛奶 1L', shelf: 'A1-1' },
  { sku: 'TOFU-400', name: '嫩豆腐 400g', shelf: 'A2-3' },
  { sku: 'YOGURT-6', name: '原味酸奶 6 杯', shelf: 'B4-2' },
  { sku: 'EGGS-10', name: '鲜鸡蛋 10 枚', shelf: 'C1-1' },  // never ordered: the wrong scan
];
async function setUp() {
  await expect(201, 'POST', '/v1/stores', { token: admin, body: { store_id: store, name: '金桥测试店', ...home } });
  await expect(200, 'PUT', `/v1/stores/${store}/layout`, {
    token: admin,
    body: { zones: ['chilled'], lanes: [{ lane_id: 'L1', capacity: 4, transit_seconds: 1, zones: ['chilled'] }],
            max_bags_per_trip: 4 },
  });
  const now = Date.now();
  const codes = {};
  for (const p of products) {
    await expect(201, 'POST', '/v1/products', { token: admin, body: { sku: p.sku, name: p.name, category: 'dairy', unit: 'each', storage: 'chilled' } });
    const listing = await expect(200, 'PUT', `/v1/stores/${store}/products/${p.sku}`, { token: admin, body: { price_minor: 1290, zone: 'chilled', shelf: p.shelf } });
    codes[p.sku] = listing.shelf_code;
    const lot = await expect(201, 'POST', `/v1/stores/${store}/lots`, {
      token: admin,
      body: { sku: p.sku, quantity: 20, origin: '上海', produced_at: new Date(now - 86400e3).toISOString(),
              expires_at: new Date(now + 5 * 86400e3).toISOString(), unit_cost_minor: 800 },
    });
    // One unit dropped on the floor: the board counts today's write-offs.
    if (p === products[0]) {
      await expect(200, 'POST', `/v1/lots/${lot.lot_id}/write-off`, { token: admin, body: { quantity: 1, note: 'dropped' } });
    }
  }
  const person = async (kind, body) => (await expect(201, 'POST', `/v1/stores/${store}/${kind}`, { token: admin, body })).token;
  await expect(200, 'PUT', `/v1/stores/${store}/staffing-plan`, {
    token: admin,
    body: { pickers: [{ from: '00:00', to: '24:00', zone: 'chilled', count: 2 }], couriers: [{ from: '00:00', to: '24:00', count: 1 }] },
  });
  return {
    codes,
    manager: await person('staff', { name: '李经理', job: 'manager' }),
    picker: await person('staff', { name: '王芳', job: 'picker' }),
    packer: await person('staff', { name: '赵磊', job: 'packer' }),
    courier: await person('couriers', { name: '张伟' }),
    customer: (await expect(201, 'POST', '/v1/customers', { body: { phone: '+8613800001234', name: '陈静' } })).token,
  };
}

async function placeAndPay(customer, key, body) {
  const order = await expect(201, 'POST', '/v1/orders', { token: customer, headers: { 'Idempotency-Key': key }, body: { store_id: store, ...body } });
  const payload = JSON.stringify({ event_id: `pay-${order.order_id}`, order_id: order.order_id, status: 'succeeded', amount_minor: order.payment.amount_minor });
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', webhookSecret).update(`${t}.${payload}`).digest('hex');
  await expect(200, 'POST', '/v1/payments/webhook', { body: payload, headers: { 'X-Freshlane-Signature': `t=${t},v1=${v1}` } });
  return order;
}

// --- the browser -----------------------------------------------------------------------------
const problems = [];
const browser = await puppeteer.launch({
  executablePath: process.env.FRESHLANE_CHROMIUM,
  headless: true,
  protocolTimeout: 30000,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=en-US', '--no-first-run',
         '--no-default-browser-check', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--disable-features=Translate,MediaRouter,OptimizationHints',
         // Four pages at once, each as if on its own device: none is throttled as a background tab.
         '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
         '--disable-backgrounding-occluded-windows'],
});
const context = browser.defaultBrowserContext();
await context.overridePermissions(base, ['geolocation']);

async function open(name, viewport) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`${name} console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`${name} dialog: ${d.message()}`); d.dismiss(); });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (!['data:', 'blob:'].includes(url.protocol) && url.hostname !== '127.0.0.1') problems.push(`${name} left 127.0.0.1: ${r.url()}`);
  });
  page.on('response', (r) => {
    // 4xx answers the test provokes on purpose are expected; a 5xx never is.
    if (r.status() >= 500) problems.push(`${name} got ${r.status()} from ${r.url()}`);
  });
  await page.goto(`${base}/staff/`, { waitUntil: 'networkidle0' });
  return page;
}
async function signIn(page, token) {
  await front(page);
  await page.waitForSelector('#token');
  await page.type('#token', token);
  await page.click('#signin');
}
// Pages share one window: the one being used comes to the front (a background tab's layout
// observers, which clicks wait for, do not run).
const front = async (page) => { await page.bringToFront(); return page; };
async function shoot(page, name) {
  await front(page);
  const before = page.viewport();
  for (const [size, viewport] of [['phone', PHONE], ['wall', WALL]]) {
    await page.setViewport(viewport);
    await new Promise((r) => setTimeout(r, 150));
    await page.screenshot({ path: `${shots}/${name}-${size}.png` });
  }
  await page.setViewport(before);
}
// A click on a list the page redraws as events arrive: the button found may be replaced before
// the click lands ("Node is detached"); then it is found again and clicked.
async function clickLive(page, selector, tries = 5) {
  for (let i = 1; ; i++) {
    try {
      await page.waitForSelector(selector, { timeout: 15000 });
      return await page.click(selector);
    } catch (e) {
      if (i >= tries || !/detached|not clickable/i.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
const textOf = (page, selector) => page.$eval(selector, (el) => el.textContent);
const waitText = (page, selector, text, timeout = 15000) =>
  page.waitForFunction((s, x) => [...document.querySelectorAll(s)].some((el) => el.textContent.includes(x)), { timeout, polling: 100 }, selector, text);
const waitEvent = (page, kind) => page.waitForSelector(`#ticker li[data-kind="${kind}"]`, { timeout: 15000 });

try {
  const people = await setUp();
  log('store, staff, courier and customer made');

  // The board first: everything after shows up here without a reload.
  const board = await open('board', WALL);
  await signIn(board, people.manager);
  await board.waitForSelector('#live[data-state="live"]');
  await board.waitForSelector('#zones [data-zone="chilled"]');
  await board.evaluate(() => { window.__openedOnce = true; });
  const navigations = await board.evaluate(() => performance.getEntriesByType('navigation').length);

  // The picker signs in and clocks in to the chilled zone.
  const picker = await open('picker', PHONE);
  await shoot(picker, 'sign-in');
  await signIn(picker, people.picker);
  await picker.waitForSelector('button[data-zone="chilled"]');
  await shoot(picker, 'picker-clock-in');
  await front(picker);
  await picker.click('button[data-zone="chilled"]');
  await picker.waitForSelector('#next-trip');
  await board.waitForFunction(() => document.querySelector('#staffing')?.textContent.includes('chilled'), { polling: 100 });

  // The courier clocks in and shares the phone's position.
  const courier = await open('courier', PHONE);
  await courier.setGeolocation({ latitude: home.lat + 0.001, longitude: home.lon + 0.001 });
  await signIn(courier, people.courier);
  await courier.waitForSelector('#courier-clock-in');
  await front(courier);
  await courier.click('#courier-clock-in');
  await courier.waitForSelector('#no-trip');

  const packer = await open('packer', PHONE);
  await signIn(packer, people.packer);
  await packer.waitForSelector('#ready');

  // Two paid orders: the picker's screen wakes with the trip.
  const pickup = await placeAndPay(people.customer, 'bt-pickup', { fulfillment: 'pickup', lines: [{ sku: 'MILK-1L', quantity: 2 }, { sku: 'TOFU-400', quantity: 1 }] });
  const delivery = await placeAndPay(people.customer, 'bt-delivery', { fulfillment: 'delivery', lines: [{ sku: 'YOGURT-6', quantity: 1 }], delivery: door });
  log(`orders ${pickup.order_id} (pickup) and ${delivery.order_id} (delivery) paid`);
  await picker.waitForSelector('[data-task]', { timeout: 15000 });
  await picker.waitForSelector('#countdown');
  await shoot(picker, 'picker-trip');

  // A wrong item first: told plainly, nothing picked.
  await front(picker);
  const scanCode = async (code) => {
    await front(picker);
    await picker.waitForSelector('#scan');
    await picker.type('#scan', code);
    await picker.keyboard.press('Enter');
  };
  await scanCode(people.codes['EGGS-10']);
  await waitText(picker, '#feedback.bad', 'Wrong item');
  await shoot(picker, 'picker-wrong-item');

  // Then every item, as a keyboard-wedge scanner types it (code + Enter), bag by bag.
  const orderIds = new Set([pickup.order_id, delivery.order_id]);
  let lanes = 0;
  for (let round = 0; round < 10 && orderIds.size; ++round) {
    const next = await picker.$('#next-trip');
    if (next) { await next.click(); await picker.waitForSelector('[data-task]', { timeout: 15000 }); }
    const tasks = await picker.$$eval('[data-task]', (els) => els.map((el) => ({
      task: el.dataset.task,
      order: el.querySelector('h2').textContent.split(' · ')[1],
      lines: [...el.querySelectorAll('li[data-sku]')].map((li) => ({ sku: li.dataset.sku, left: Number((li.querySelector('.qty').textContent.match(/\d+/) || [0])[0]) })),
    })));
    for (const task of tasks) {
      for (const line of task.lines) {
        for (let i = 0; i < line.left; ++i) {
          await scanCode(people.codes[line.sku]);
          await waitText(picker, '#feedback.good', 'Picked');
          await picker.$eval('#feedback', (el) => { el.textContent = ''; el.className = 'feedback'; });
        }
      }
      await front(picker);
      await picker.waitForSelector(`[data-task="${task.task}"] button.finish:not([disabled])`);
      await clickLive(picker, `[data-task="${task.task}"] button.finish`);
      await picker.waitForSelector('#lane');
      assert.equal((await textOf(picker, '#lane .big')).trim(), 'L1');
      if (lanes++ === 0) await shoot(picker, 'picker-lane');
      orderIds.delete(task.order);
    }
  }
  assert.equal(orderIds.size, 0, 'every order was picked');
  await waitEvent(board, 'pick.item_picked');
  await waitEvent(board, 'pick.bag_loaded');
  log('picked; the lane shown; the board saw it');

  // The packer packs both once their bags are at packing, and hands the pickup order over.
  await front(packer);
  for (const id of [pickup.order_id, delivery.order_id]) {
    await packer.waitForSelector(`#ready [data-order="${id}"] button.pack`, { timeout: 20000 });
    if (id === pickup.order_id) await shoot(packer, 'packer-ready');
    await clickLive(packer, `#ready [data-order="${id}"] button.pack`);
    await packer.waitForFunction((x) => !document.querySelector(`#ready [data-order="${x}"]`), { polling: 100 }, id);
  }
  await packer.waitForSelector(`#counter [data-code-for="${pickup.order_id}"]`, { timeout: 15000 });
  await packer.type(`#counter [data-code-for="${pickup.order_id}"]`, '000000');
  await packer.click(`#counter form[data-order="${pickup.order_id}"] button[type="submit"]`);
  await waitText(packer, `#counter form[data-order="${pickup.order_id}"] .feedback`, 'tries left');
  await shoot(packer, 'packer-counter');
  const code = (await expect(200, 'GET', `/v1/orders/${pickup.order_id}`, { token: people.customer })).handover_code;
  await packer.$eval(`#counter [data-code-for="${pickup.order_id}"]`, (el) => { el.value = ''; });
  await packer.type(`#counter [data-code-for="${pickup.order_id}"]`, code);
  await packer.click(`#counter form[data-order="${pickup.order_id}"] button[type="submit"]`);
  await front(packer);
  await waitText(packer, '#toast', 'Handed over');
  await waitEvent(board, 'order.packed');
  await waitEvent(board, 'order.collected');
  log('packed and handed over');

  // The courier's trip arrives live; picked up; delivered against the customer's code.
  await courier.waitForSelector(`#trip li[data-order="${delivery.order_id}"]`, { timeout: 20000 });
  await shoot(courier, 'courier-trip');
  await front(courier);
  await courier.click('#pick-up');
  await courier.waitForSelector(`[data-code-for="${delivery.order_id}"]`, { timeout: 15000 });
  const doorCode = (await expect(200, 'GET', `/v1/orders/${delivery.order_id}`, { token: people.customer })).handover_code;
  await courier.type(`[data-code-for="${delivery.order_id}"]`, doorCode);
  await courier.click('button.deliver');
  await waitText(courier, '#toast', 'Delivered');
  await courier.waitForSelector('#no-trip', { timeout: 15000 });
  await waitEvent(board, 'delivery.courier_assigned');
  await waitEvent(board, 'delivery.picked_up');
  await waitEvent(board, 'delivery.delivered');
  log('delivered');

  // The board never reloaded, and its figures count the day.
  assert.equal(await board.evaluate(() => window.__openedOnce === true), true, 'the board was not reloaded');
  assert.equal(await board.evaluate(() => performance.getEntriesByType('navigation').length), navigations);
  await board.waitForFunction(() => document.querySelector('[data-figure="p50"] .value')?.textContent.includes('min'), { polling: 100 });
  await board.waitForFunction(() => document.querySelector('[data-figure="on_time"] .value')?.textContent.includes('%'), { polling: 100 });
  await board.waitForFunction(() => document.querySelector('[data-figure="written_off"] .value')?.textContent === '1 · ¥8.00', { polling: 100 });
  await board.waitForSelector(`#map [data-courier]`);
  await shoot(board, 'board');
  // 中文: the switch, and the browser's language on a fresh page.
  await front(board);
  await board.click('#lang');
  await board.waitForFunction(() => document.querySelector('#lang').textContent === 'English', { polling: 100 });
  await board.waitForFunction(() => document.querySelector('#today h2')?.textContent.includes('今日'), { polling: 100 });
  await shoot(board, 'board-zh');
  await shoot(packer, 'packer-done');

  // Chromium logs each 4xx as a console error: exactly the two the test provoked (the wrong item,
  // the wrong code), and nothing else.
  const provoked = problems.filter((p) => /console: Failed to load resource: .* status of 422/.test(p));
  assert.equal(provoked.length, 2, problems.join('\n'));
  assert.deepEqual(problems.filter((p) => !provoked.includes(p)), [], problems.join('\n'));
  log(`passed; screenshots in ${shots}`);
} catch (e) {
  console.error('browser-test: FAILED:', e.stack || e.message);
  try {  // what the store's stream had
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1000);
    const res = await fetch(`${base}/v1/stores/${store}/events?last_event_id=0`, { headers: { Authorization: `Bearer ${admin}` }, signal: ac.signal });
    const reader = res.body.getReader();
    let text = '';
    for (;;) { const { value, done } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
    console.error(text.split('\n').filter((l) => l.startsWith('event:')).join(' '));
  } catch (err) { /* aborted */ }
  for (const page of await browser.pages()) {
    const toastText = await page.$eval('#toast', (el) => el.hidden ? '' : el.textContent).catch(() => '');
    console.error(`  page ${page.url()}: toast "${toastText}"`);
    await page.screenshot({ path: `${shots}/failure-${(await browser.pages()).indexOf(page)}.png` }).catch(() => {});
  }
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
