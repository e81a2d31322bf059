// freshlane staff terminal: picker, packer, courier and the manager's wall board, in one page.
// Plain ES module, no build step, no third party: it talks only to the server that served it.
// The token lives in this tab's sessionStorage and nowhere else.

// ---------------------------------------------------------------------------------------------
// Words, in English and Chinese
const WORDS = {
  en: {
    lang: "中文", signin: "Sign in", signout: "Sign out", token: "Staff or courier token",
    token_hint: "Type or paste the token from your badge, or scan its QR code.",
    scan_badge: "Scan badge", camera_stop: "Stop camera", not_for_you: "This terminal is for store staff and couriers.",
    choose_store: "Which store?", open_board: "Open the board",
    picker: "Picker", packer: "Packer", courier: "Courier", board: "Board",
    live: "live", reconnecting: "reconnecting…",
    clock_in_zone: "Clock in to a zone", clocked_in: "Clocked in: {zone}", clock_out: "Clock out",
    next_trip: "Next trip", no_work: "No orders waiting in your zone. This screen wakes up when one comes.",
    scan_here: "Scan or type a code, then Enter", scan: "Scan", camera: "Camera",
    left: "{n} left", of: "{a} of {b}", short: "Short", finish: "Finish bag", grams: "grams",
    wrong_item: "Wrong item", picked_ok: "Picked: {name}", deadline: "to the 10-minute deadline",
    overdue: "overdue", hang_on: "Hang the bag on lane", bag: "Bag {n}", short_confirm: "Report {n} × {name} missing?",
    packing_ready: "Ready to pack", packing_incoming: "On its way to packing", pack: "Packed",
    bags: "{a} of {b} bags here", counter: "Pickup counter", customer_code: "Customer's code",
    hand_over: "Hand over", handed_over: "Handed over: {id}", nothing_here: "Nothing here now.",
    waiting_min: "waiting {n} min", attempts_left: "{n} tries left",
    on_shift: "On shift", not_on_shift: "You are not on shift.", clock_in: "Clock in",
    no_trip: "No trip yet. This screen shows it as soon as dispatch plans one.",
    trip: "Trip {id}", eta: "ETA", promise: "promise", pick_up: "Picked up the bags",
    deliver: "Deliver", delivered: "Delivered: {id}", failed: "Delivery failed", reason: "Why?",
    reasons: ["Customer not at home", "Address not found", "Customer refused", "Other"],
    position_on: "Sharing position", position_off: "Position not shared", late: "late",
    zones: "Zones", open_tasks: "open", held_tasks: "held", overdue_tasks: "overdue",
    pickers: "pickers", lanes: "Conveyor lanes", in_transit: "{a}/{b} bags",
    map: "Deliveries", today: "Today", p50: "paid → conveyor p50", p95: "p95 (target 10 min)",
    on_time: "on time vs promise", refused: "refused", per_hour: "orders per labour hour",
    marked_down: "lots marked down", written_off: "written off (cost)",
    staffing: "Staffing now", planned: "plan", no_plan: "no plan stored", events: "Live events",
    couriers: "couriers", waiting_courier: "waiting for a courier", min: "min",
    signed_out: "Signed out.", bad_token: "That token was not accepted.",
  },
  zh: {
    lang: "English", signin: "登录", signout: "退出", token: "员工或骑手令牌",
    token_hint: "输入或粘贴工牌上的令牌，或扫描工牌二维码。",
    scan_badge: "扫描工牌", camera_stop: "关闭相机", not_for_you: "此终端仅供门店员工和骑手使用。",
    choose_store: "选择门店", open_board: "打开看板",
    picker: "拣货", packer: "打包", courier: "配送", board: "看板",
    live: "实时", reconnecting: "重新连接中…",
    clock_in_zone: "选择作业区上岗", clocked_in: "已上岗：{zone}", clock_out: "下岗",
    next_trip: "领取下一趟", no_work: "本区暂无待拣订单，有新订单时此屏幕会自动提示。",
    scan_here: "扫码或输入编码后按回车", scan: "扫码", camera: "相机",
    left: "还差 {n}", of: "{a} / {b}", short: "缺货", finish: "完成此袋", grams: "克",
    wrong_item: "商品不对", picked_ok: "已拣：{name}", deadline: "距 10 分钟时限",
    overdue: "已超时", hang_on: "请将袋子挂上输送线", bag: "第 {n} 袋", short_confirm: "确认 {name} 缺 {n} 件？",
    packing_ready: "待打包", packing_incoming: "正在送往打包台", pack: "已打包",
    bags: "已到 {a} / {b} 袋", counter: "自提柜台", customer_code: "顾客取货码",
    hand_over: "交付", handed_over: "已交付：{id}", nothing_here: "暂无。",
    waiting_min: "已等 {n} 分钟", attempts_left: "还可尝试 {n} 次",
    on_shift: "在岗", not_on_shift: "你尚未上岗。", clock_in: "上岗",
    no_trip: "暂无配送任务，调度排单后会立即显示。",
    trip: "配送单 {id}", eta: "预计到达", promise: "承诺", pick_up: "已取货",
    deliver: "送达", delivered: "已送达：{id}", failed: "配送失败", reason: "原因？",
    reasons: ["顾客不在家", "找不到地址", "顾客拒收", "其他"],
    position_on: "正在共享位置", position_off: "未共享位置", late: "将迟到",
    zones: "作业区", open_tasks: "待拣", held_tasks: "拣货中", overdue_tasks: "超时",
    pickers: "拣货员", lanes: "输送线", in_transit: "{a}/{b} 袋",
    map: "配送地图", today: "今日", p50: "付款→上线 p50", p95: "p95（目标 10 分钟）",
    on_time: "准时率（对承诺）", refused: "拒单", per_hour: "每工时订单",
    marked_down: "今日降价批次", written_off: "报损（成本）",
    staffing: "当前人力", planned: "计划", no_plan: "尚无排班计划", events: "实时事件",
    couriers: "骑手", waiting_courier: "等待骑手", min: "分钟",
    signed_out: "已退出。", bad_token: "令牌无效。",
  },
};
let lang = localStorage.getItem("freshlane.lang") ||
  ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
function t(key, vars = {}) {
  let s = (WORDS[lang] && WORDS[lang][key]) ?? WORDS.en[key] ?? key;
  if (typeof s === "string") for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, v);
  return s;
}

// ---------------------------------------------------------------------------------------------
// DOM helpers
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "width") el.style.width = v;  // CSSOM: the CSP forbids style attributes
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}
const svgNS = "http://www.w3.org/2000/svg";
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}
const $ = (id) => document.getElementById(id);
// replaceChildren, with arrays flattened and nothing for null/false.
function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}
let toastTimer;
function toast(text, kind = "") {
  const el = $("toast");
  el.textContent = text;
  el.className = "toast " + kind;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
}
const clock = (iso) => iso ? new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" }) : "–";
function mmss(ms) {
  const neg = ms < 0, v = Math.abs(Math.round(ms / 1000));
  return (neg ? "-" : "") + Math.floor(v / 60) + ":" + String(v % 60).padStart(2, "0");
}

// ---------------------------------------------------------------------------------------------
// The server
const session = {
  get token() { return sessionStorage.getItem("freshlane.token"); },
  set token(v) { if (v) sessionStorage.setItem("freshlane.token", v); else sessionStorage.removeItem("freshlane.token"); },
  me: null, store: null,
};

class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "";
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = "Bearer " + session.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    if (res.status === 401 && path !== "/v1/me") signOut(t("bad_token"));
    throw new Problem(res.status, data);
  }
  return data;
}

// Server-sent events over fetch (EventSource cannot send the Authorization header): resumes
// with Last-Event-ID after a drop, waits as the server says (retry:, Retry-After), and stops
// for good on 401/403/404.
class Stream {
  constructor(path, onEvent) {
    this.path = path; this.onEvent = onEvent; this.lastId = null; this.retry = 3000;
    this.stopped = false; this.controller = null;
    this.run();
  }
  stop() { this.stopped = true; if (this.controller) this.controller.abort(); setLive(null); }
  async run() {
    while (!this.stopped) {
      let wait = this.retry;
      try {
        this.controller = new AbortController();
        const headers = { Accept: "text/event-stream", Authorization: "Bearer " + session.token };
        if (this.lastId !== null) headers["Last-Event-ID"] = this.lastId;
        const res = await fetch(this.path, { headers, signal: this.controller.signal, cache: "no-store" });
        if (!res.ok) {
          if ([401, 403, 404].includes(res.status)) { this.stopped = true; setLive(false); return; }
          wait = (Number(res.headers.get("Retry-After")) || 5) * 1000;
          throw new Error("HTTP " + res.status);
        }
        await this.read(res.body.getReader());
      } catch (e) {
        if (this.stopped) return;
      }
      setLive(false);
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  async read(reader) {
    const decoder = new TextDecoder();
    let buffer = "", event = { id: null, name: "message", data: [] };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (event.id !== null) this.lastId = event.id;
          if (event.data.length) this.dispatch(event.name, event.data.join("\n"));
          event = { id: null, name: "message", data: [] };
          continue;
        }
        if (line.startsWith(":")) continue;  // heartbeat
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") event.id = val;
        else if (field === "event") event.name = val;
        else if (field === "data") event.data.push(val);
        else if (field === "retry" && /^\d+$/.test(val)) this.retry = Number(val);
      }
    }
  }
  dispatch(name, data) {
    let body = null;
    try { body = JSON.parse(data); } catch { return; }
    if (name === "ready") setLive(true);
    this.onEvent(name, body);
  }
}
function setLive(on) {
  const el = $("live");
  el.hidden = on === null;
  el.className = "live " + (on ? "on" : "off");
  el.textContent = on ? t("live") : t("reconnecting");
  el.dataset.state = on === null ? "" : on ? "live" : "reconnecting";
}

// Calls `f` at most every `ms`, last call wins.
function debounce(f, ms = 250) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => f(...args), ms); };
}

// ---------------------------------------------------------------------------------------------
// Camera: QR codes where the browser offers BarcodeDetector
const cameraSupported = "BarcodeDetector" in window && navigator.mediaDevices;
async function scanWithCamera(container, onCode) {
  const video = h("video", { class: "camera", playsinline: true, muted: true });
  const stopBtn = h("button", { type: "button", class: "ghost" }, t("camera_stop"));
  fill(container, video, stopBtn);
  let stream, stopped = false;
  const stop = () => {
    stopped = true;
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    fill(container);
  };
  stopBtn.onclick = stop;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream;
    await video.play();
    const detector = new BarcodeDetector({ formats: ["qr_code", "code_128", "ean_13"] });
    while (!stopped) {
      const found = await detector.detect(video).catch(() => []);
      if (found.length) { stop(); onCode(found[0].rawValue); return; }
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (e) {
    stop();
    toast(e.message, "bad");
  }
}

// ---------------------------------------------------------------------------------------------
// Frame: sign in, who, tabs
let current = { stop() {} };  // the view on screen: stop() ends its timers and streams
function show(viewFactory, wide = false) {
  current.stop();
  const main = $("view");
  main.className = wide ? "wide" : "";
  fill(main);
  current = viewFactory(main) || { stop() {} };
}

function signOut(message, kind = "bad") {
  session.token = null;
  session.me = null;
  current.stop();
  if (watchId !== null) { navigator.geolocation.clearWatch(watchId); watchId = null; }
  if (message) toast(message, kind);
  start();
}

function renderFrame() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  $("lang").textContent = t("lang");
  $("signout").textContent = t("signout");
  $("signout").hidden = !session.me;
  const me = session.me;
  fill($("who"), me ? [`· ${me.store_id || ""} · ${me.job || me.role} `, h("span", { class: "id" }, me.id)] : []);
}

function tabsFor(me) {
  if (me.role === "admin") return ["board"];
  if (me.role === "courier") return ["courier"];
  if (me.job === "manager") return ["board", "picker", "packer"];
  return [me.job];
}
const VIEWS = { picker: pickerView, packer: packerView, courier: courierView, board: boardView };
let currentTab = null;
function openTab(name) {
  currentTab = name;
  const tabs = $("tabs");
  const names = tabsFor(session.me);
  tabs.hidden = names.length < 2;
  fill(tabs, ...names.map((n) => h("button", {
    type: "button", role: "tab", "aria-selected": String(n === name), "data-tab": n,
    onclick: () => openTab(n),
  }, t(n))));
  show(VIEWS[name], name === "board");
}

async function start() {
  renderFrame();
  $("tabs").hidden = true;
  if (!session.token) return show(signInView);
  try {
    session.me = await api("GET", "/v1/me");
  } catch (e) {
    session.token = null;
    show(signInView);
    toast(t("bad_token"), "bad");
    return;
  }
  renderFrame();
  const me = session.me;
  if (me.role === "customer") { show((m) => { m.append(h("p", { class: "card" }, t("not_for_you"))); }); return; }
  if (me.role === "admin" && !session.store) return show(storeChoiceView);
  if (me.role === "admin") me.store_id = session.store;
  openTab(tabsFor(me)[0]);
}

function signInView(main) {
  const input = h("input", { id: "token", type: "password", autocomplete: "off", spellcheck: "false", placeholder: t("token") });
  const cam = h("div");
  const submit = async (token) => {
    session.token = token.trim();
    await start();
  };
  const form = h("form", { class: "card stack", onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) submit(input.value); } },
    h("h1", {}, t("signin")),
    h("label", { for: "token", class: "muted" }, t("token_hint")),
    input,
    h("div", { class: "row" },
      h("button", { type: "submit", id: "signin" }, t("signin")),
      cameraSupported ? h("button", { type: "button", class: "ghost", onclick: () => scanWithCamera(cam, submit) }, t("scan_badge")) : null),
    cam);
  main.append(form);
  input.focus();
}

function storeChoiceView(main) {
  const select = h("select", { id: "store" });
  api("GET", "/v1/stores").then((list) => {
    fill(select, ...list.items.map((st) => h("option", { value: st.store_id }, `${st.name} (${st.store_id})`)));
  }).catch((e) => toast(e.message, "bad"));
  main.append(h("form", { class: "card stack", onsubmit: (e) => { e.preventDefault(); session.store = select.value; start(); } },
    h("h1", {}, t("choose_store")), select, h("button", { type: "submit" }, t("open_board"))));
}

// ---------------------------------------------------------------------------------------------
// Picker
function pickerView(main) {
  const me = session.me, store = me.store_id;
  let trip = [], zone = null, zones = [], timer = null, stream = null, lastLane = null;
  const body = h("div");
  main.append(body);
  const input = h("input", { id: "scan", autocomplete: "off", autocapitalize: "off", spellcheck: "false", placeholder: t("scan_here"), enterkeyhint: "go" });
  const gramsInput = h("input", { id: "grams", type: "number", min: "1", inputmode: "numeric", placeholder: t("grams"), class: "narrow", hidden: true });
  const cam = h("div");
  const form = h("form", { class: "scan", onsubmit: (e) => {
    e.preventDefault();
    const v = input.value.trim();
    input.value = "";
    if (v) scan(v, gramsInput.hidden ? "" : gramsInput.value);
  } },
  input, gramsInput, h("button", { type: "submit" }, t("scan")),
  cameraSupported ? h("button", { type: "button", class: "ghost", onclick: () => scanWithCamera(cam, (c) => scan(c, gramsInput.hidden ? "" : gramsInput.value)) }, t("camera")) : null);
  const fb = h("div", { class: "feedback", id: "feedback", role: "status" });

  // Reads race (an event, a button): only the answer to the latest one started is shown.
  let latest = 0;
  async function load() {
    const ticket = ++latest;
    const board = await api("GET", `/v1/stores/${store}/picking`);
    let held = [], myZone = null;
    for (const z of board.zones) for (const p of z.pickers) if (p.staff_id === me.id) { myZone = z.zone; held = p.tasks; }
    const tasks = await Promise.all(held.map((id) => api("GET", `/v1/pick-tasks/${id}`)));
    if (!myZone && !zones.length) zones = (await api("GET", `/v1/stores/${store}/layout`)).zones;
    if (ticket !== latest) return;
    zone = myZone;
    trip = tasks;
    render();
  }
  async function clockIn(z) {
    try { await api("POST", `/v1/stores/${store}/pickers/clock-in`, { zone: z }); await load(); await nextTrip(); }
    catch (e) { toast(e.message, "bad"); }
  }
  async function clockOut() {
    try { await api("POST", `/v1/stores/${store}/pickers/clock-out`); trip = []; await load(); }
    catch (e) { toast(e.message, "bad"); }
  }
  async function nextTrip() {
    try {
      const ticket = ++latest;
      const r = await api("POST", `/v1/stores/${store}/pick-tasks/next`);
      if (!r) return await load();  // nothing new to take: show what the floor gave me already
      if (ticket !== latest) return;
      trip = r.tasks;
      if (trip.length) lastLane = null;
      render();
    } catch (e) { toast(e.message, "bad"); }
  }
  // Bags still to fill (a finished task has its bag: on a lane or waiting for one).
  const openTasks = () => trip.filter((tk) => !tk.bag);
  function taskFor(code) {
    const parts = code.split(".");
    const open = openTasks();
    if (parts[0] === "FL1" && parts[1] === "S") {
      const sku = parts[3];
      return open.find((tk) => tk.lines.some((l) => l.sku === sku && l.remaining > 0)) || open[0];
    }
    if (parts[0] === "FL1" && parts[1] === "L") {
      const lot = parts[2];
      return open.find((tk) => tk.lines.some((l) => l.remaining > 0 && ((l.take && l.take.lot_id === lot) || (l.lots || []).some((x) => x.lot_id === lot)))) || open[0];
    }
    return open[0];
  }
  async function scan(code, grams) {
    const task = taskFor(code);
    if (!task) return;
    const payload = { code };
    if (grams) payload.grams = Number(grams);
    try {
      const updated = await api("POST", `/v1/pick-tasks/${task.task_id}/scan`, payload);
      const before = new Map(task.lines.map((l) => [l.sku, l.picked]));
      trip = trip.map((tk) => tk.task_id === updated.task_id ? updated : tk);
      const line = updated.lines.find((l) => l.picked !== before.get(l.sku));
      feedback(t("picked_ok", { name: line ? line.name : "" }), "good", line && line.sku);
    } catch (e) {
      feedback((e.code === "wrong_item" ? t("wrong_item") + ": " : "") + e.message, "bad");
    }
  }
  async function reportShort(task, line) {
    const n = line.remaining;
    if (!confirm(t("short_confirm", { n, name: line.name }))) return;
    try {
      const updated = await api("POST", `/v1/pick-tasks/${task.task_id}/short`, { sku: line.sku, quantity: n });
      trip = trip.map((tk) => tk.task_id === updated.task_id ? updated : tk);
      render();
    } catch (e) { toast(e.message, "bad"); }
  }
  async function finish(task) {
    try {
      const updated = await api("POST", `/v1/pick-tasks/${task.task_id}/finish`);
      trip = trip.map((tk) => tk.task_id === updated.task_id ? updated : tk);
      lastLane = (updated.bag && updated.bag.lane_id) || lastLane;
      if (!openTasks().length) trip = [];
      render();
    } catch (e) { toast(e.message, "bad"); }
  }
  let feedbackState = null;
  function feedback(text, kind, sku) {
    feedbackState = { text, kind, sku };
    render();
  }
  function render() {
    clearInterval(timer);
    const content = [];
    if (!zone) {
      content.push(h("div", { class: "card" }, h("h1", {}, t("clock_in_zone")), h("div", { class: "grid-buttons", id: "zones" },
        zones.map((z) => h("button", { type: "button", "data-zone": z, onclick: () => clockIn(z) }, z)))));
      fill(body, ...content);
      return;
    }
    content.push(h("div", { class: "row card" },
      h("span", { class: "grow" }, t("clocked_in", { zone })),
      h("button", { type: "button", class: "ghost small", onclick: clockOut }, t("clock_out"))));
    if (lastLane) {
      content.push(h("div", { class: "card lane", id: "lane" }, h("div", {}, t("hang_on")), h("div", { class: "big" }, lastLane)));
    }
    const open = openTasks();
    if (!open.length) {
      content.push(h("div", { class: "card stack" }, h("p", { class: "muted" }, t("no_work")),
        h("button", { type: "button", id: "next-trip", onclick: nextTrip }, t("next_trip"))));
      fill(body, ...content);
      return;
    }
    // The countdown to the earliest deadline of the trip.
    const deadline = Math.min(...open.map((tk) => Date.parse(tk.deadline)));
    const cd = h("div", { class: "countdown", id: "countdown" });
    const tick = () => {
      const left = deadline - Date.now();
      cd.textContent = (left < 0 ? t("overdue") + " " : "") + mmss(left);
      cd.className = "countdown" + (left < 0 ? " late" : left < 120000 ? " tight" : "");
    };
    tick();
    timer = setInterval(tick, 1000);
    content.push(h("div", { class: "card row" }, cd, h("span", { class: "muted" }, t("deadline"))));
    // The scan field (one element for the whole view, so a re-render never loses what a
    // keyboard-wedge scanner is typing): code and Enter.
    const weighed = open.some((tk) => tk.lines.some((l) => l.weighed && l.remaining > 0));
    gramsInput.hidden = !weighed;
    fb.textContent = feedbackState ? feedbackState.text : "";
    fb.className = "feedback " + (feedbackState ? feedbackState.kind : "");
    content.push(h("div", { class: "card stack" }, form, fb, cam));
    form.classList.toggle("bad", !!feedbackState && feedbackState.kind === "bad");
    // Items in walking order (shelf), bag by bag.
    open.forEach((task, i) => {
      const lines = [...task.lines].sort((a, b) => String(a.shelf).localeCompare(String(b.shelf), undefined, { numeric: true }));
      const done = lines.every((l) => l.remaining === 0);
      content.push(h("div", { class: "card", "data-task": task.task_id },
        h("div", { class: "row" }, h("h2", { class: "grow" }, t("bag", { n: i + 1 }) + " · " + task.order_id),
          h("span", { class: "pill " + (task.overdue ? "overdue" : "") }, clock(task.deadline))),
        h("ul", { class: "lines" }, lines.map((l) => h("li", {
          class: (l.remaining === 0 ? "done " : "") + (feedbackState && feedbackState.sku === l.sku ? "flash" : ""), "data-sku": l.sku,
        },
          h("span", { class: "shelf" }, l.shelf || "–"),
          h("span", {}, h("div", {}, l.name), h("div", { class: "muted" },
            l.weighed ? `${l.quantity} × ~ · ${t("grams")}` : t("of", { a: l.picked, b: l.quantity }),
            l.missing ? ` · ${t("short")} ${l.missing}` : "")),
          l.remaining > 0
            ? h("span", { class: "row" }, h("span", { class: "qty" }, t("left", { n: l.remaining })),
              h("button", { type: "button", class: "warn small", onclick: () => reportShort(task, l) }, t("short")))
            : h("span", { class: "qty" }, "✓")))),
        h("div", { class: "row mt" },
          h("button", { type: "button", class: "finish", disabled: !done, onclick: () => finish(task) }, t("finish")))));
    });
    fill(body, ...content);
    input.focus();
  }
  load().catch((e) => toast(e.message, "bad"));
  // Woken by the floor: new tasks in my zone while I wait.
  stream = new Stream(`/v1/stores/${store}/events`, (name, ev) => {
    if (!zone) return;
    const mine = ev.data && ev.data.picker_id === me.id;
    // The floor gives an idle picker work itself; or work came that is there to be taken.
    const failed = (e) => toast(e.message, "bad");
    if (name === "pick.task_assigned" && mine && !openTasks().length) load().catch(failed);
    else if (name === "pick.task_added" && !openTasks().length) nextTrip();
    else if ((name === "pick.task_released" || name === "pick.task_cancelled" || name === "pick.picker_timed_out") && mine) load().catch(failed);
  });
  return { stop() { clearInterval(timer); stream.stop(); } };
}

// Code fields that survive a re-render (events redraw a list while someone types): what was
// typed is kept per order, and the field that had the focus gets it back.
function codeFields() {
  const typed = new Map();
  return {
    input(orderId) {
      return h("input", { inputmode: "numeric", autocomplete: "off", placeholder: t("customer_code"), "data-code-for": orderId,
        value: typed.get(orderId) || "", oninput: (e) => typed.set(orderId, e.target.value) });
    },
    forget(orderId) { typed.delete(orderId); },
    // Re-renders `container` with `draw()`, keeping the focus in the same order's field.
    redraw(container, draw) {
      const active = document.activeElement;
      const focused = active && container.contains(active) ? active.dataset.codeFor : null;
      draw();
      if (focused) {
        const again = container.querySelector(`[data-code-for="${focused}"]`);
        if (again) { again.focus(); again.setSelectionRange(again.value.length, again.value.length); }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Packer
function packerView(main) {
  const store = session.me.store_id;
  const packing = h("div"), counter = h("div");
  main.append(packing, counter);
  const results = new Map();  // order_id → last hand-over answer shown
  const codes = codeFields();
  async function load() {
    const [board, queue] = await Promise.all([
      api("GET", `/v1/stores/${store}/packing`),
      api("GET", `/v1/stores/${store}/counter`),
    ]);
    fill(packing, 
      h("div", { class: "card", id: "ready" }, h("h2", {}, t("packing_ready")),
        board.ready.length ? board.ready.map((o) => h("div", { class: "row zone", "data-order": o.order_id },
          h("div", { class: "grow" }, h("b", {}, o.order_id), h("div", { class: "muted" },
            (o.storage_classes || []).join(" · "), " · ", t("bags", { a: o.bags_at_packing, b: o.bags }))),
          h("button", { type: "button", class: "pack", onclick: () => pack(o.order_id) }, t("pack"))))
          : h("p", { class: "muted" }, t("nothing_here"))),
      h("div", { class: "card", id: "incoming" }, h("h2", {}, t("packing_incoming")),
        board.incoming.length ? board.incoming.map((o) => h("div", { class: "row zone", "data-order": o.order_id },
          h("span", { class: "grow" }, o.order_id), h("span", { class: "pill warn" }, t("bags", { a: o.bags_at_packing, b: o.bags }))))
          : h("p", { class: "muted" }, t("nothing_here"))));
    codes.redraw(counter, () => fill(counter, h("div", { class: "card", id: "counter" }, h("h2", {}, t("counter")),
      queue.items.length ? queue.items.map((o) => handoverRow(o)) : h("p", { class: "muted" }, t("nothing_here")))));
  }
  function handoverRow(o) {
    const input = codes.input(o.order_id);
    const note = h("div", { class: "feedback bad", role: "status" }, results.get(o.order_id) || "");
    return h("form", { class: "zone stack", "data-order": o.order_id, onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api("POST", `/v1/orders/${o.order_id}/handover`, { code: input.value.trim() });
        results.delete(o.order_id);
        codes.forget(o.order_id);
        toast(t("handed_over", { id: o.order_id }), "good");
        load();
      } catch (err) {
        const left = err.body && err.body.attempts_left;
        const text = err.message + (left !== undefined ? ` (${t("attempts_left", { n: left })})` : "");
        results.set(o.order_id, text);
        // The list may have been redrawn meanwhile: tell it in the row on screen now.
        const shown = counter.querySelector(`form[data-order="${o.order_id}"] .feedback`);
        if (shown) shown.textContent = text;
      }
    } },
      h("div", { class: "row" }, h("b", { class: "grow" }, o.order_id),
        o.waiting_minutes !== undefined ? h("span", { class: "muted" }, t("waiting_min", { n: o.waiting_minutes })) : null),
      h("div", { class: "row" }, h("span", { class: "grow" }, input), h("button", { type: "submit" }, t("hand_over"))), note);
  }
  async function pack(id) {
    try { await api("POST", `/v1/orders/${id}/pack`); await load(); } catch (e) { toast(e.message, "bad"); }
  }
  const refresh = debounce(() => load().catch((e) => toast(e.message, "bad")));
  load().catch((e) => toast(e.message, "bad"));
  const stream = new Stream(`/v1/stores/${store}/events`, (name) => {
    if (name.startsWith("pick.") || name.startsWith("order.")) refresh();
  });
  return { stop() { stream.stop(); } };
}

// ---------------------------------------------------------------------------------------------
// Courier
let watchId = null;
function courierView(main) {
  const me = session.me, store = me.store_id;
  const body = h("div");
  main.append(body);
  const codes = codeFields();
  let lastSent = 0, positionNote = h("span", { class: "muted", id: "position" }, t("position_off"));
  function sharePosition() {
    if (!navigator.geolocation || watchId !== null) return;
    watchId = navigator.geolocation.watchPosition((p) => {
      positionNote.textContent = t("position_on");
      if (Date.now() - lastSent < 10000) return;
      lastSent = Date.now();
      api("PUT", "/v1/couriers/me/position", { lat: p.coords.latitude, lon: p.coords.longitude }).catch(() => {});
    }, () => { positionNote.textContent = t("position_off"); }, { enableHighAccuracy: true, maximumAge: 5000 });
  }
  async function load() {
    if (!(await api("GET", "/v1/couriers/me/shift"))) return renderOff();
    const trip = await api("GET", "/v1/couriers/me/trip");
    sharePosition();
    render(trip);
  }
  function renderOff() {
    fill(body, h("div", { class: "card stack" }, h("p", {}, t("not_on_shift")),
      h("button", { type: "button", id: "courier-clock-in", onclick: async () => {
        try { await api("POST", `/v1/stores/${store}/couriers/clock-in`); await load(); } catch (e) { toast(e.message, "bad"); }
      } }, t("clock_in"))));
  }
  async function act(method, path, payload, done) {
    try { await api(method, path, payload); if (done) toast(done, "good"); await load(); return true; }
    catch (e) {
      const left = e.body && e.body.attempts_left;
      toast(e.message + (left !== undefined ? ` (${t("attempts_left", { n: left })})` : ""), "bad");
      return false;
    }
  }
  function render(trip) {
    const head = h("div", { class: "card row" }, h("span", { class: "grow" }, h("b", {}, t("on_shift")), " · ", positionNote),
      h("button", { type: "button", class: "ghost small", onclick: () => act("POST", `/v1/stores/${store}/couriers/clock-out`) }, t("clock_out")));
    if (!trip) { fill(body, head, h("div", { class: "card muted", id: "no-trip" }, t("no_trip"))); return; }
    const stops = trip.stops.map((st) => {
      const codeInput = codes.input(st.order_id);
      const reason = h("select", {}, t("reasons").map((r) => h("option", {}, r)));
      const live = st.state === "planned" || st.state === "picked_up";
      return h("li", { "data-order": st.order_id, "data-state": st.state },
        h("div", { class: "row" }, h("span", { class: "seq" }, String(st.seq)), h("b", { class: "grow" }, st.address || st.order_id),
          h("span", { class: "pill " + (st.late ? "late" : "") }, st.state)),
        h("div", { class: "muted" }, `${t("eta")} ${clock(st.eta)} · ${t("promise")} ${clock(st.promised_at)}`, st.late ? ` · ${t("late")}` : "",
          st.customer ? ` · ${st.customer.name} ${st.customer.phone_masked || ""}` : ""),
        st.notes ? h("div", { class: "muted" }, st.notes) : null,
        st.state === "picked_up" ? h("form", { class: "row mt", onsubmit: (e) => {
          e.preventDefault();
          act("POST", `/v1/orders/${st.order_id}/deliver`, { code: codeInput.value.trim() }, t("delivered", { id: st.order_id }))
            .then((ok) => { if (ok) codes.forget(st.order_id); });
        } }, h("span", { class: "grow" }, codeInput), h("button", { type: "submit", class: "deliver" }, t("deliver"))) : null,
        live ? h("div", { class: "row mt" }, h("span", { class: "grow" }, reason),
          h("button", { type: "button", class: "danger small", onclick: () => act("POST", `/v1/orders/${st.order_id}/delivery-failed`, { reason: reason.value }) }, t("failed"))) : null);
    });
    const toPick = trip.stops.filter((st) => st.state === "planned");
    codes.redraw(body, () => fill(body, head, h("div", { class: "card", id: "trip", "data-trip": trip.trip_id },
      h("h2", {}, t("trip", { id: trip.trip_id })),
      toPick.length ? h("button", { type: "button", id: "pick-up", onclick: async () => {
        for (const st of toPick) await act("POST", `/v1/orders/${st.order_id}/pickup`);
      } }, t("pick_up")) : null,
      h("ol", { class: "stops" }, stops))));
  }
  const refresh = debounce(() => load().catch((e) => toast(e.message, "bad")));
  load().catch((e) => toast(e.message, "bad"));
  const stream = new Stream("/v1/couriers/me/events", () => refresh());
  return { stop() { stream.stop(); } };
}

// ---------------------------------------------------------------------------------------------
// The manager's wall board
function boardView(main) {
  const store = session.me.store_id;
  const el = {
    today: h("section", { class: "card span2", id: "today" }),
    zones: h("section", { class: "card", id: "zones" }),
    lanes: h("section", { class: "card", id: "lanes" }),
    map: h("section", { class: "card", id: "map" }),
    staffing: h("section", { class: "card", id: "staffing" }),
    events: h("section", { class: "card", id: "events" }, h("h2", {}, t("events")), h("ul", { class: "ticker", id: "ticker" })),
  };
  main.append(h("div", { class: "board" }, el.today, el.staffing, el.zones, el.lanes, el.map, el.events));
  let storeInfo = null, picking = null, timer = null;

  function figure(label, value, cls = "", id) {
    return h("div", { class: "figure " + cls, "data-figure": id }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
  }
  const pct = (v) => v === null || v === undefined ? "–" : Math.round(v * 1000) / 10 + "%";
  const minutes = (sec) => sec === null || sec === undefined ? "–" : (sec / 60).toFixed(1) + " " + t("min");
  function renderToday(d) {
    fill(el.today, h("h2", {}, `${t("today")} · ${d.day}`), h("div", { class: "figures" },
      figure(t("p50"), minutes(d.paid_to_conveyor.p50_seconds), d.paid_to_conveyor.p50_seconds > 600 ? "bad" : "good", "p50"),
      figure(t("p95"), minutes(d.paid_to_conveyor.p95_seconds), d.paid_to_conveyor.p95_seconds > 600 ? "bad" : "good", "p95"),
      figure(t("on_time"), pct(d.deliveries.on_time_share), d.deliveries.on_time_share !== null && d.deliveries.on_time_share < 0.95 ? "bad" : "good", "on_time"),
      figure(t("refused"), `${d.refused} · ${pct(d.refused_share)}`, d.refused ? "bad" : "", "refused"),
      figure(t("per_hour"), d.orders_per_labour_hour === null ? "–" : d.orders_per_labour_hour.toFixed(1), "", "per_hour"),
      figure(t("marked_down"), String(d.fresh.lots_marked_down), "", "marked_down"),
      figure(t("written_off"), `${d.fresh.written_off_units} · ¥${(d.fresh.written_off_cost_minor / 100).toFixed(2)}`,
        d.fresh.written_off_units ? "bad" : "", "written_off")));
    const plan = d.staffing.planned, on = d.staffing.on_shift;
    const zonesAll = new Set([...Object.keys(on.pickers), ...Object.keys(plan ? plan.pickers : {})]);
    fill(el.staffing, h("h2", {}, t("staffing")), h("table", { class: "plain" },
      h("tr", {}, h("th", {}, ""), h("th", {}, t("on_shift")), h("th", {}, t("planned"))),
      [...zonesAll].sort().map((z) => h("tr", {}, h("td", {}, `${t("pickers")} · ${z}`), h("td", {}, String(on.pickers[z] || 0)),
        h("td", {}, plan ? String(plan.pickers[z] || 0) : "–"))),
      h("tr", {}, h("td", {}, t("couriers")), h("td", {}, String(on.couriers)), h("td", {}, plan ? String(plan.couriers) : "–"))),
      plan ? null : h("p", { class: "muted" }, t("no_plan")));
  }
  function renderZones() {
    if (!picking) return;
    const now = Date.now();
    const left = (iso) => mmss(Date.parse(iso) - now);
    fill(el.zones, h("h2", {}, t("zones")), picking.zones.map((z) => h("div", { class: "zone", "data-zone": z.zone },
      h("div", { class: "row" }, h("b", { class: "grow" }, z.zone),
        h("span", { class: "pill", "data-count": "open" }, `${z.open_count} ${t("open_tasks")}`),
        h("span", { class: "pill held", "data-count": "held" }, `${z.held.length} ${t("held_tasks")}`),
        h("span", { class: "pill overdue", "data-count": "overdue" }, `${z.open_overdue + z.held.filter((x) => x.overdue).length} ${t("overdue_tasks")}`),
        h("span", { class: "muted" }, `${z.pickers.length} ${t("pickers")}`)),
      h("div", { class: "tasks" },
        z.held.map((x) => h("span", { class: "pill held" + (Date.parse(x.deadline) < now ? " overdue" : "") }, `${x.order_id} ${left(x.deadline)}`)),
        z.open.map((x) => h("span", { class: "pill" + (Date.parse(x.deadline) < now ? " overdue" : "") }, `${x.order_id} ${left(x.deadline)}`))))));
  }
  function renderLanes(l) {
    fill(el.lanes, h("h2", {}, t("lanes")), l.lanes.map((lane) => {
      const share = lane.capacity ? lane.in_transit / lane.capacity : 0;
      return h("div", { class: "zone", "data-lane": lane.lane_id },
        h("div", { class: "row" }, h("b", { class: "grow" }, lane.lane_id), h("span", { class: "muted" }, t("in_transit", { a: lane.in_transit, b: lane.capacity }))),
        h("div", { class: "meter" + (share >= 1 ? " full" : "") }, h("span", { width: `${Math.min(100, share * 100)}%` })));
    }));
  }
  function renderMap(d) {
    if (!storeInfo) return;
    const W = 420, H = 320, cx = W / 2, cy = H / 2;
    const r = Math.min(W, H) * 0.44;
    const mPerDegLat = 110540, mPerDegLon = 111320 * Math.cos(storeInfo.lat * Math.PI / 180);
    const k = r / storeInfo.delivery_radius_m;
    const xy = (lat, lon) => [cx + (lon - storeInfo.lon) * mPerDegLon * k, cy - (lat - storeInfo.lat) * mPerDegLat * k];
    const parts = [s("circle", { cx, cy, r, fill: "#dff0e6", stroke: "#0b7a4b", "stroke-dasharray": "6 4" }),
      s("text", { x: cx + r - 4, y: cy - 4, "text-anchor": "end" }, `${storeInfo.delivery_radius_m / 1000} km`)];
    for (const trip of d.trips) {
      const pts = [[cx, cy], ...trip.stops.map((st) => xy(st.lat, st.lon))];
      parts.push(s("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: "#1c5fb8", "stroke-width": 2, "stroke-opacity": .7, "data-trip": trip.trip_id }));
      for (const st of trip.stops) {
        const [x, y] = xy(st.lat, st.lon);
        const color = st.state === "delivered" ? "#0b7a4b" : st.state === "failed" ? "#c62828" : st.late ? "#b26a00" : "#1c5fb8";
        parts.push(s("circle", { cx: x, cy: y, r: 6, fill: color, "data-stop": st.order_id }, s("title", {}, `${st.order_id} ${st.state} ${t("eta")} ${clock(st.eta)}`)));
      }
    }
    for (const c of d.couriers) {
      if (!c.position || c.position.lat === undefined || c.position.lat === null) continue;
      const [x, y] = xy(c.position.lat, c.position.lon);
      parts.push(s("g", { "data-courier": c.courier_id }, s("rect", { x: x - 6, y: y - 6, width: 12, height: 12, rx: 3, fill: "#17201b" }),
        s("text", { x: x + 9, y: y + 4 }, c.name || c.courier_id)));
    }
    parts.push(s("g", {}, s("rect", { x: cx - 9, y: cy - 9, width: 18, height: 18, rx: 4, fill: "#0b7a4b" }), s("text", { x: cx + 12, y: cy + 4 }, storeInfo.name)));
    const waiting = d.waiting.length;
    fill(el.map, h("h2", {}, t("map")),
      s("svg", { class: "map", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": t("map") }, parts),
      h("div", { class: "muted" }, `${d.trips.length} trips · ${d.couriers.length} ${t("couriers")} · ${waiting} ${t("waiting_courier")}`));
  }
  function addEvent(name, ev) {
    const list = $("ticker");
    if (!list) return;
    const what = [ev.order_id, ev.data && (ev.data.lane_id || ev.data.sku || ev.data.status)].filter(Boolean).join(" · ");
    list.prepend(h("li", { "data-kind": name }, h("time", {}, clock(ev.at)), h("b", {}, name), h("span", { class: "muted" }, what)));
    while (list.children.length > 30) list.lastChild.remove();
  }
  const loaders = {
    today: () => api("GET", `/v1/stores/${store}/today`).then(renderToday),
    picking: () => api("GET", `/v1/stores/${store}/picking`).then((p) => { picking = p; renderZones(); }),
    lanes: () => api("GET", `/v1/stores/${store}/lanes`).then(renderLanes),
    dispatch: () => api("GET", `/v1/stores/${store}/dispatch`).then(renderMap),
  };
  const pending = new Set();
  const flush = debounce(() => {
    const names = [...pending];
    pending.clear();
    for (const n of names) loaders[n]().catch((e) => toast(e.message, "bad"));
  }, 200);
  const reload = (...names) => { names.forEach((n) => pending.add(n)); flush(); };
  api("GET", `/v1/stores/${store}`).then((st) => { storeInfo = st; reload("dispatch"); }).catch((e) => toast(e.message, "bad"));
  reload("today", "picking", "lanes");
  timer = setInterval(renderZones, 1000);  // time left ticks here; the data comes by events
  const stream = new Stream(`/v1/stores/${store}/events`, (name, ev) => {
    if (name === "ready" || name === "reset") { reload("today", "picking", "lanes", "dispatch"); return; }
    addEvent(name, ev);
    if (name.startsWith("pick.")) reload("picking", "lanes", "today");
    if (name.startsWith("order.")) reload("picking", "today", "dispatch");
    if (name.startsWith("delivery.") || name.startsWith("courier.")) reload("dispatch", "today");
  });
  return { stop() { clearInterval(timer); stream.stop(); } };
}

// ---------------------------------------------------------------------------------------------
$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("freshlane.lang", lang);
  renderFrame();
  if (session.me && currentTab) openTab(currentTab); else start();
});
$("signout").addEventListener("click", () => signOut(t("signed_out"), ""));
start();
