// The browser core of flexpa-link: the script loader and the session state machine. The Rust
// side (bindings.rs documents the contract) owns the callbacks; this module owns the state.
// Shipped as written, so its comments are kept short: the design notes are in bindings.rs.

// Error arrays [code, ...details]; the codes match Error::from_js in error.rs.
const NO_WINDOW = 1;
const SCRIPT_FAILED = 2; // [code, src]
const MISSING_GLOBAL = 3; // [code, src]
const TIMEOUT = 4; // [code, src, ms]
const INVALID_GLOBAL = 5; // [code, reason index]
const DOM = 6;
const SUPERSEDED = 7;
const EXITED = 8; // [code, reason]
const CLOSED = 9;
const THROWN = 11; // [code, method index in METHODS, name, message]
const METHODS = ["create", "open", "close", "exit"];

// Session events: notify(event, payload).
const SUCCESS = 0;
const EXIT = 1;
const LOAD = 2;

// setTimeout fires at once for 2^31 ms or more: longer timeouts wait this long.
const MAX_DELAY = 2 ** 31 - 1;

// window.FlexpaLink, undefined when not defined (yet), or an error array.
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

// --- Loader: one tag per src, one in-flight load per src, a failed tag removed.

const loads = new Map(); // absolute src -> Load
const waiters = new Map(); // id -> { load, done, timer }, in call order
let lastId = 0;

// Returns a waiter id; done(id, global or error array) runs once, later, unless cancelled.
export function load(src, nonce, integrity, crossOrigin, timeoutMs, done) {
  const id = ++lastId;
  const load = begin(src, nonce, integrity, crossOrigin, timeoutMs);
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

// The in-flight load of `src` (joined or started), or a result known now.
function begin(src, nonce, integrity, crossOrigin, timeoutMs) {
  const global = readGlobal();
  if (global !== undefined) return global;
  const probe = document.createElement("script");
  probe.src = src; // resolved as the browser will: "/v1/" and its absolute URL are one script
  const absolute = probe.src;
  if (!absolute) return [SCRIPT_FAILED, src];
  if (loads.has(absolute)) return loads.get(absolute);
  let script = Array.from(document.scripts).find((s) => s.src === absolute);
  if (!script) {
    script = probe;
    script.async = true;
    if (nonce !== undefined) script.setAttribute("nonce", nonce); // what CSP checks
    if (integrity !== undefined) script.integrity = integrity;
    // Subresource Integrity needs CORS.
    crossOrigin ??= integrity === undefined ? undefined : "anonymous";
    if (crossOrigin !== undefined) script.crossOrigin = crossOrigin;
    try {
      (document.head || document.documentElement).appendChild(script);
    } catch {
      return [DOM];
    }
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
      if (Array.isArray(result)) script.remove(); // so that a later load injects anew
      for (const [id, waiter] of waiters) if (waiter.load === this) deliver(id, result);
    };
    script.addEventListener("load", onLoad);
    script.addEventListener("error", onError);
    const timer = setTimeout(() => settle([TIMEOUT, src, timeoutMs]), Math.min(timeoutMs, MAX_DELAY));
    loads.set(src, this);
  }
}

// --- Sessions: the global is a singleton, so one session is live; creating one retires the
// previous one.

let live = null;
let setKeys = []; // optional keys the last create set: the next one clears those it does not

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
  constructor(global, notify) {
    this.global = global;
    this.notify = notify; // null once retired: Rust frees it then
    this.retired = 0; // the error code that retired it
    this.isOpen = false;
    this.finished = false; // the current opening got its token or its exit
    this.gotLoad = false;
    this.outcome = null; // { token } or { error } of the current opening
    this.pending = null; // { promise, resolve, reject } for futures of an opening to come
    this.iframe = null; // what open appended to the body, watched
    this.watcher = globalThis.MutationObserver && new MutationObserver(() => this.watch());
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
    // Both published scripts append the iframe (or a box holding it) to the body.
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

  // The current opening's token, or the next one's: what onSuccess got, or an error array.
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

  // Closes the iframe, detaches the callbacks, fails the futures; never calls Rust again.
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

  // The first onSuccess or onExit of an opening ends it; a leaky script's repeats do nothing.
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

  // The iframe left the page and nothing ended the opening: the script closed Link without
  // telling (0.0.8 on a cancel), an exit. Mutation records come in a microtask, after a
  // script's synchronous close(); onSuccess(token), which wins.
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

// Points the global's callbacks at a no-op, and re-creates it with them for a script that
// kept the config object, so that late messages reach no retired session.
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
