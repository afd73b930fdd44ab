// The browser core of flexpa-link: the script loader and the sessions. See bindings.rs.

// Error codes of the arrays [code, ...details] that Error::from_js decodes.
const NO_WINDOW = 1;
const SCRIPT_FAILED = 2;
const MISSING_GLOBAL = 3;
const TIMEOUT = 4;
const INVALID_GLOBAL = 5;
const DOM = 6;
const SUPERSEDED = 7;
const EXITED = 8;
const CLOSED = 9;
const THROWN = 11;
const METHODS = ["create", "open", "close", "exit"];

// Session events: notify(event, payload).
const SUCCESS = 0;
const EXIT = 1;
const LOAD = 2;

// setTimeout fires at once for 2^31 ms or more.
const MAX_DELAY = 2 ** 31 - 1;

// window.FlexpaLink, undefined while not defined, or an error array.
export function readGlobal() {
  if (typeof document === "undefined") return [NO_WINDOW];
  let global;
  try {
    global = window.FlexpaLink;
  } catch {
    return [INVALID_GLOBAL, 0];
  }
  if (global == null) return undefined;
  if (typeof global !== "object") return [INVALID_GLOBAL, 1];
  const missing = ["create", "open", "close"].findIndex((m) => typeof global[m] !== "function");
  return missing < 0 ? global : [INVALID_GLOBAL, 2 + missing];
}

const loads = new Map(); // absolute src -> Load
const waiters = new Map(); // id -> { load, done, timer }
let lastId = 0;

export function load(src, nonce, integrity, crossOrigin, timeoutMs, done, refused) {
  const id = ++lastId;
  const load = refused ?? begin(src, nonce, integrity, crossOrigin, timeoutMs);
  const timer = load instanceof Load ? undefined : setTimeout(() => deliver(id, load));
  waiters.set(id, { load, done, timer });
  return id;
}

export function cancel(id) {
  clearTimeout(waiters.get(id)?.timer);
  waiters.delete(id);
}

function deliver(id, result) {
  const waiter = waiters.get(id);
  waiters.delete(id); // first: the callback may load again or cancel others
  waiter?.done(id, result);
}

function begin(src, nonce, integrity, crossOrigin, timeoutMs) {
  const global = readGlobal();
  if (global !== undefined) return global;
  const script = document.createElement("script");
  script.src = src; // resolved as the browser will: "/v1/" and its absolute URL are one script
  const absolute = script.src;
  if (!absolute) return [SCRIPT_FAILED, src];
  if (loads.has(absolute)) return loads.get(absolute);
  const tag = Array.from(document.scripts).find((s) => s.src === absolute);
  if (tag) return new Load(absolute, tag, timeoutMs);
  script.async = true;
  if (nonce !== undefined) script.setAttribute("nonce", nonce); // the attribute CSP checks
  if (integrity !== undefined) script.integrity = integrity;
  crossOrigin ??= integrity === undefined ? undefined : "anonymous"; // SRI needs CORS
  if (crossOrigin !== undefined) script.crossOrigin = crossOrigin;
  try {
    (document.head || document.documentElement).appendChild(script);
  } catch {
    return [DOM];
  }
  return new Load(absolute, script, timeoutMs);
}

class Load {
  constructor(src, script, timeoutMs) {
    const onLoad = () => settle(readGlobal() ?? [MISSING_GLOBAL, src]);
    const onError = () => settle([SCRIPT_FAILED, src]);
    const settle = (result) => {
      script.removeEventListener("load", onLoad);
      script.removeEventListener("error", onError);
      clearTimeout(timer);
      loads.delete(src);
      if (Array.isArray(result)) script.remove(); // so that a later load retries
      for (const [id, waiter] of waiters) if (waiter.load === this) deliver(id, result);
    };
    script.addEventListener("load", onLoad);
    script.addEventListener("error", onError);
    const timer = setTimeout(() => settle([TIMEOUT, src, timeoutMs]), Math.min(timeoutMs, MAX_DELAY));
    loads.set(src, this);
  }
}

let live = null;
let setKeys = []; // the optional keys the last create set, cleared by the next one

export function create(global, notify, key, user, usage, endpoint, strict, autoExit, extras) {
  const optional = { ...extras };
  if (user !== undefined) optional.user = { externalId: user };
  if (usage !== undefined) optional.usage = usage;
  if (endpoint !== undefined) optional.endpoint = endpoint;
  if (strict !== undefined) optional.strict = strict;
  if (autoExit !== undefined) optional.autoExit = autoExit;
  const config = { publishableKey: key };
  for (const stale of setKeys) config[stale] = undefined;
  Object.assign(config, optional);

  const session = new Session(global, notify);
  config.onSuccess = (payload) => session.end(SUCCESS, payload);
  config.onExit = (payload) => session.end(EXIT, reason(payload));
  config.onLoad = () => session.loaded();
  live?.retire(SUPERSEDED);
  try {
    global.create(config);
  } catch (thrown) {
    detach(global);
    throw thrownError("create", thrown);
  }
  live = session;
  setKeys = Object.keys(optional);
  return session;
}

class Session {
  retired = 0; // the error code that retired it
  isOpen = false;
  finished = false;
  gotLoad = false;
  outcome = null; // { token } or { error }
  pending = null; // { promise, resolve, reject }
  iframe = null;
  watcher = globalThis.MutationObserver && new MutationObserver(() => this.watch());

  constructor(global, notify) {
    this.global = global;
    this.notify = notify;
  }

  get live() {
    return !this.retired;
  }

  open(endpoint) {
    this.ensureLive();
    const starts = !this.isOpen;
    const before = lastBodyElement();
    this.call("open", endpoint === undefined ? undefined : { endpoint });
    if (!starts) return;
    Object.assign(this, { isOpen: true, finished: false, gotLoad: false, outcome: null });
    // Both published scripts append the iframe (or a box holding it) to the body: watched.
    const appended = lastBodyElement();
    this.unwatch();
    if (appended && appended !== before && this.watcher) {
      this.watcher.observe(appended.parentNode, { childList: true });
      this.iframe = appended;
    }
  }

  close() {
    this.ensureLive();
    this.unwatch();
    this.call("close");
    if (this.finished) this.isOpen = false;
    else this.settle({ error: [CLOSED] });
  }

  exit() {
    this.ensureLive();
    if (typeof this.global.exit === "function") return this.call("exit");
    // The 0.0.8 script has no exit: close, then the exit it would report.
    this.unwatch();
    this.call("close");
    this.end(EXIT, undefined);
  }

  token() {
    if (this.retired) return Promise.reject([this.retired]);
    const { outcome } = this;
    if (outcome) return outcome.error ? Promise.reject(outcome.error) : Promise.resolve(outcome.token);
    if (!this.pending) {
      const pending = {};
      pending.promise = new Promise((resolve, reject) => Object.assign(pending, { resolve, reject }));
      this.pending = pending;
    }
    return this.pending.promise;
  }

  // Never calls Rust again: Rust frees notify after this.
  retire(code) {
    if (this.retired) return;
    this.retired = code;
    this.notify = null;
    this.unwatch();
    if (this.isOpen) {
      this.isOpen = false;
      try {
        this.global.close();
      } catch {
        // detached below all the same
      }
    }
    detach(this.global);
    if (live === this) live = null;
    this.settle({ error: [code] }, true);
  }

  // The first onSuccess or onExit ends the opening; a leaky script's repeats do nothing.
  end(event, payload) {
    if (this.retired || this.finished) return;
    this.settle(event === SUCCESS ? { token: payload } : { error: [EXITED, payload] });
    this.notify(event, payload);
  }

  loaded() {
    if (this.retired || this.gotLoad) return;
    this.gotLoad = true;
    this.notify(LOAD);
  }

  settle(outcome, retiring) {
    if (!retiring) Object.assign(this, { finished: true, isOpen: false, outcome });
    const { pending } = this;
    this.pending = null;
    if (outcome.error) pending?.reject(outcome.error);
    else pending?.resolve(outcome.token);
  }

  // The iframe left the page and nothing ended the opening (0.0.8 on a cancel): an exit.
  watch() {
    if (this.iframe && !this.iframe.isConnected) {
      this.unwatch();
      this.end(EXIT, undefined);
    }
  }

  unwatch() {
    this.watcher?.disconnect();
    this.iframe = null;
  }

  ensureLive() {
    if (this.retired) throw [this.retired];
  }

  call(method, arg) {
    try {
      arg === undefined ? this.global[method]() : this.global[method](arg);
    } catch (thrown) {
      throw thrownError(method, thrown);
    }
  }
}

// No-op callbacks, also through create for a script that kept the config object.
function detach(global) {
  const noop = () => {};
  const config = { onSuccess: noop, onExit: noop, onLoad: noop };
  Object.assign(global, config);
  const key = global.publishableKey;
  try {
    if (typeof key === "string" && key) global.create({ ...config, publishableKey: key });
  } catch {
    // detached above all the same
  }
}

// What onExit got: a string as is, nothing as undefined, anything else as JSON.
function reason(payload) {
  return payload == null || typeof payload === "string" ? (payload ?? undefined) : json(payload);
}

function thrownError(method, value) {
  const m = METHODS.indexOf(method);
  if (typeof value === "string") return [THROWN, m, undefined, value];
  if (value instanceof Error) return [THROWN, m, String(value.name), String(value.message)];
  return [THROWN, m, undefined, json(value) ?? "a value that is not JSON"];
}

function json(value) {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

function lastBodyElement() {
  return document.body?.lastElementChild;
}
