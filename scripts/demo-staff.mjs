#!/usr/bin/env node
// The staff terminal for the demo's flagship: a manager, a picker, a packer and a courier of
// sh-jinqiao, made once through the API and kept in .local/staff.json (tokens are shown only
// when made; the server keeps their hashes), then printed with the /staff/ URL to try them.
// Run by scripts/demo once the server answers. Environment: FRESHLANE_URL,
// FRESHLANE_ADMIN_TOKEN, FRESHLANE_STAFF_FILE (default .local/staff.json).
import { readFileSync, writeFileSync } from 'node:fs';

const base = process.env.FRESHLANE_URL ?? 'http://127.0.0.1:8080';
const admin = process.env.FRESHLANE_ADMIN_TOKEN;
const file = process.env.FRESHLANE_STAFF_FILE ?? '.local/staff.json';
const store = 'sh-jinqiao';
const people = [
  { role: 'manager', path: 'staff', body: { name: '李娜 (demo)', job: 'manager' } },
  { role: 'picker', path: 'staff', body: { name: '王芳 (demo)', job: 'picker' } },
  { role: 'packer', path: 'staff', body: { name: '赵磊 (demo)', job: 'packer' } },
  { role: 'courier', path: 'couriers', body: { name: '张伟 (demo)' } },
];

async function call(method, path, token, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

let tokens = {};
try { tokens = JSON.parse(readFileSync(file, 'utf8')); } catch { tokens = {}; }
for (const p of people) {
  // Still valid (the database may have been made anew)?
  if (tokens[p.role] && (await call('GET', '/v1/me', tokens[p.role])).status === 200) continue;
  const r = await call('POST', `/v1/stores/${store}/${p.path}`, admin, p.body);
  if (r.status !== 201) {
    console.error(`demo-staff: cannot make the ${p.role}: ${r.status} ${JSON.stringify(r.json)}`);
    process.exit(1);
  }
  tokens[p.role] = r.json.token;
}
writeFileSync(file, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
console.log(`\nThe staff terminal: ${base}/staff/  (sign in with one of these tokens, kept in ${file})`);
for (const p of people) console.log(`  ${p.role.padEnd(8)} ${tokens[p.role]}`);
console.log('  The manager sees the wall board; open a second tab as the picker, pay an order, watch it move.');

// Fresh without waste, from the demo's eight weeks of sales: what the king crab will sell, what
// to order for tomorrow's delivery, and the lots the markdown round would price down now.
const f = await call('GET', `/v1/stores/${store}/forecast?sku=KINGCRAB-M`, tokens.manager);
if (f.status === 200) {
  const crab = f.json.items[0];
  const week = crab.forecast.map((d) => d.units).join(', ');
  console.log(`\nThe forecast for ${crab.name} (${crab.method}, backtest WAPE ${crab.backtest.wape} vs seasonal naive ${crab.backtest.naive_wape}): ${week} g a day`);
}
const r = await call('GET', `/v1/stores/${store}/replenishment?sku=KINGCRAB-M`, tokens.manager);
if (r.status === 200) {
  const s = r.json.items[0];
  console.log(`The order suggestion for ${s.delivery}: ${s.order_units} (${s.packs} packs of ${s.pack_size})`);
  for (const why of s.reasoning) console.log(`  - ${why}`);
}
console.log(`  Try GET /v1/stores/${store}/markdowns, /labels, /waste and /replenishment with the manager's token.`);
