// The browser core of flexpa-link: loading the Flexpa Link script and driving the
// `window.FlexpaLink` singleton. The Rust side (script.rs, session.rs) is a typed layer over
// this module: it owns the Rust callbacks and frees them; this module owns the state machines.
//
// Why JavaScript: the same logic written in Rust and inlined into an app's closures costs several
// times its size in wasm (see BENCHMARKS.md, "wasm size"). Shipped as is, unminified: this is
// the file people read and edit.
//
// Contract with Rust:
// - Errors cross as arrays `[code, ...details]`; the codes are the `E_*` constants below and
//   must match `CODES` in error.rs.
// - Rust closures are called only while Rust owns them: a load waiter until it is called or
//   cancelled, a session's `notify` until the session is retired (superseded or dropped).
// - Nothing calls back into Rust synchronously from a call Rust made, except the global's own
//   callbacks (a script may call `onExit` from `exit()`).

const E_NO_WINDOW = 1;
const E_SCRIPT_FAILED = 2; // [code, src]
const E_MISSING_GLOBAL = 3; // [code, src]
const E_TIMEOUT = 4; // [code, src, ms]
const E_INVALID_GLOBAL = 5; // [code, reason index in error.rs]
const E_DOM = 6;
const E_SUPERSEDED = 7;
const E_EXITED = 8; // [code, reason]
const E_CLOSED = 9;
const E_SESSION_DROPPED = 10;
const E_THROWN = 11; // [code, method, name, message]

// Session events for `notify(event, payload)`.
const SUCCESS = 0; // payload: what onSuccess received (Rust checks it is a public token)
const EXIT = 1; // payload: the reason, a string or undefined
const LOAD = 2;

// setTimeout fires at once for delays of 2^31 ms or more: longer timeouts wait this long.
const MAX_DELAY = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------
// The global.

// `window.FlexpaLink`: the global, `undefined` when not defined (yet), or an error array.
export function readGlobal() {
  if (typeof window === "undefined" || typeof document === "undefined") return [E_NO_WINDOW];
  let global;
  try {
    global = window.FlexpaLink;
  } catch {
    return [E_INVALID_GLOBAL, 0]; // reading it threw
  }
  if (global === undefined || global === null) return undefined;
  if (typeof global !== "object") return [E_INVALID_GLOBAL, 1];
  const missing = ["create", "open", "close"].findIndex((m) => typeof global[m] !== "function");
  return missing < 0 ? global : [E_INVALID_GLOBAL, 2 + missing];
}

// ---------------------------------------------------------------------------------------------
// The script loader: one tag per src, ever. Concurrent loads of a src share one in-flight load,
// a tag the page already has is reused (and awaited), nothing is injected when the global
// exists, and a failed load removes its tag so that a later load retries.

const loads = new Map(); // absolute src -> in-flight load { settle }
const waiters = new Map(); // waiter id -> { load, done, timer }, in call order
let lastId = 0;

// Starts or joins the load of `src` and returns a waiter id. `done(result)` is called exactly
// once, always later (from the event loop), with the global or an error array, unless the
// waiter is cancelled first.
export function load(src, nonce, integrity, crossOrigin, timeoutMs, done) {
  const id = ++lastId;
  const begun = begin(src, nonce, integrity, crossOrigin, timeoutMs);
  if (begun instanceof Load) {
    waiters.set(id, { load: begun, done });
  } else {
    // Known now (the global, or an error), delivered later all the same.
    const timer = setTimeout(() => deliver(id, begun));
    waiters.set(id, { load: null, done, timer });
  }
  return id;
}

// Forgets a waiter: its `done` is never called. The load goes on (others may share it).
export function cancel(id) {
  const waiter = waiters.get(id);
  if (waiter) {
    clearTimeout(waiter.timer);
    waiters.delete(id);
  }
}

function deliver(id, result) {
  const waiter = waiters.get(id);
  if (waiter) {
    waiters.delete(id);
    waiter.done(result);
  }
}

class Load {
  constructor(src, script, timeoutMs) {
    const settle = (result) => {
      script.removeEventListener("load", onLoad);
      script.removeEventListener("error", onError);
      clearTimeout(timer);
      loads.delete(src);
      if (Array.isArray(result)) script.remove(); // a broken tag: a later load injects anew
      // Each waiter is taken out before its call, so that a callback may start a new load of
      // the same src (a new Load) or cancel other waiters.
      for (const [id, waiter] of waiters) {
        if (waiter.load === this) deliver(id, result);
      }
    };
    const onLoad = () => {
      const global = readGlobal();
      settle(global === undefined ? [E_MISSING_GLOBAL, src] : global);
    };
    const onError = () => settle([E_SCRIPT_FAILED, src]);
    script.addEventListener("load", onLoad);
    script.addEventListener("error", onError);
    const timer = setTimeout(
      () => settle([E_TIMEOUT, src, timeoutMs]),
      Math.min(timeoutMs, MAX_DELAY),
    );
    loads.set(src, this);
  }
}

// The in-flight load of `src` (joined or started), or a result known now.
function begin(src, nonce, integrity, crossOrigin, timeoutMs) {
  const global = readGlobal();
  if (global !== undefined) return global;
  // Resolved the way the browser will, so that `/v1/` and the absolute URL are one script.
  const probe = document.createElement("script");
  probe.src = src;
  const absolute = probe.src;
  if (!absolute) return [E_SCRIPT_FAILED, src];
  const inFlight = loads.get(absolute);
  if (inFlight) return inFlight;
  let script = Array.from(document.scripts).find((s) => s.src === absolute);
  if (!script) {
    try {
      script = inject(absolute, nonce, integrity, crossOrigin);
    } catch {
      return [E_DOM];
    }
  }
  return new Load(absolute, script, timeoutMs);
}

function inject(src, nonce, integrity, crossOrigin) {
  const script = document.createElement("script");
  script.src = src;
  script.async = true;
  // The `nonce` content attribute, which is what a Content Security Policy checks.
  if (nonce !== undefined) script.setAttribute("nonce", nonce);
  if (integrity !== undefined) script.integrity = integrity;
  // Subresource Integrity needs CORS: anonymous unless asked otherwise.
  if (crossOrigin === undefined && integrity !== undefined) crossOrigin = "anonymous";
  if (crossOrigin !== undefined) script.crossOrigin = crossOrigin;
  (document.head || document.documentElement).appendChild(script);
  return script;
}

// ---------------------------------------------------------------------------------------------
// Sessions. The global is a singleton, so one session is live at a time: creating one retires
// the previous one (its iframe closed, its callbacks detached, its futures failed).

let live = null;
// The optional config keys the last `create` set: the next one clears those it does not set,
// since the global keeps every key it was ever given.
let setKeys = [];

// `FlexpaLink.create(config)` with this session's handlers. Throws an error array.
export function create(global, notify, key, user, usage, endpoint, strict, autoExit, extras) {
  const optional = {};
  if (user !== undefined) optional.user = { externalId: user };
  if (usage !== undefined) optional.usage = usage;
  if (endpoint !== undefined) optional.endpoint = endpoint;
  if (strict !== undefined) optional.strict = strict;
  if (autoExit !== undefined) optional.autoExit = autoExit;
  Object.assign(optional, extras);
  const config = { publishableKey: key };
  for (const stale of setKeys) if (!(stale in optional)) config[stale] = undefined;
  Object.assign(config, optional);

  const session = new Session(global, notify);
  config.onSuccess = (payload) => session.end(SUCCESS, payload);
  config.onExit = (payload) => session.end(EXIT, exitReason(payload));
  config.onLoad = () => session.loaded();
  if (live) live.retire(E_SUPERSEDED);
  try {
    global.create(config);
  } catch (thrown) {
    detach(global); // it may hold this session's handlers now
    throw thrownError("create", thrown);
  }
  live = session;
  setKeys = Object.keys(optional);
  return session;
}

export class Session {
  constructor(global, notify) {
    this.global = global;
    this.notify = notify; // the Rust callbacks; null once retired
    this.retired = 0; // why it is not live (an error code), 0 while live
    this.isOpen = false;
    this.finished = false; // the current opening got its token or its exit
    this.gotLoad = false; // the current opening reported LOADED
    this.outcome = null; // how the current opening ended: { token } or { error }
    this.pending = null; // { promise, resolve, reject } for futures waiting on an outcome
    this.iframe = null; // the element the current opening appended to the body, watched
    this.watcher =
      typeof MutationObserver === "function" ? new MutationObserver(() => this.watch()) : null;
  }

  get live() {
    return this.retired === 0;
  }

  // Opens Link (with `{ endpoint }` for this opening when given). Throws an error array.
  open(endpoint) {
    this.ensureLive();
    const starts = !this.isOpen;
    const before = starts ? lastBodyElement() : null;
    try {
      if (endpoint === undefined) this.global.open();
      else this.global.open({ endpoint });
    } catch (thrown) {
      throw thrownError("open", thrown);
    }
    if (!starts) return;
    this.isOpen = true;
    this.finished = false;
    this.gotLoad = false;
    this.outcome = null;
    // Both published versions append the iframe to the body: a new last element of the body
    // is what `open` appended (the iframe, or a container holding it).
    const appended = lastBodyElement();
    this.unwatch();
    if (appended && appended !== before && this.watcher) {
      this.watcher.observe(appended.parentNode, { childList: true });
      this.iframe = appended;
    }
  }

  // Removes the iframe without an exit; futures of this opening fail with "closed".
  close() {
    this.ensureLive();
    this.unwatch();
    this.callGlobal("close");
    if (this.finished) this.isOpen = false;
    else this.settle({ error: [E_CLOSED] });
  }

  // Closes and exits, as if the user had left. The 0.0.8 script has no `exit`: the same,
  // done here.
  exit() {
    this.ensureLive();
    if (typeof this.global.exit === "function") return this.callGlobal("exit");
    this.unwatch();
    this.callGlobal("close");
    this.end(EXIT, undefined);
  }

  // A promise of the current opening's token (or the next one's): resolves with what
  // onSuccess received, rejects with an error array. Never pending once the opening is over.
  token() {
    if (!this.live) return Promise.reject([this.retired]);
    if (this.outcome) {
      return this.outcome.error ? Promise.reject(this.outcome.error) : Promise.resolve(this.outcome.token);
    }
    if (!this.pending) {
      const pending = {};
      pending.promise = new Promise((resolve, reject) => Object.assign(pending, { resolve, reject }));
      this.pending = pending;
    }
    return this.pending.promise;
  }

  // Makes the session inert: closes its iframe, detaches its callbacks from the global and
  // fails the waiting futures. Never calls Rust again. Idempotent.
  retire(code) {
    if (!this.live) return;
    this.retired = code;
    this.notify = null;
    const wasOpen = this.isOpen;
    this.isOpen = false;
    this.unwatch();
    if (wasOpen) {
      try {
        this.global.close();
      } catch {
        // Retiring cannot fail: the callbacks are detached below all the same.
      }
    }
    detach(this.global);
    if (live === this) live = null;
    this.settle({ error: [code] }, true);
  }

  // onSuccess or onExit: the first of them ends the opening; later deliveries (a script that
  // leaks listeners calls them again) do nothing.
  end(event, payload) {
    if (!this.live || this.finished) return;
    this.settle(event === SUCCESS ? { token: payload } : { error: [E_EXITED, payload] });
    this.notify(event, payload);
  }

  loaded() {
    if (!this.live || this.gotLoad) return;
    this.gotLoad = true;
    this.notify(LOAD);
  }

  settle(outcome, retiring) {
    if (!retiring) {
      this.finished = true;
      this.isOpen = false;
      this.outcome = outcome;
    }
    const pending = this.pending;
    this.pending = null;
    if (pending) {
      if (outcome.error) pending.reject(outcome.error);
      else pending.resolve(outcome.token);
    }
  }

  // The body changed while an opening is watched. When its iframe is gone and neither
  // onSuccess nor onExit ended the opening, the script closed Link without telling: the
  // version published on npm as `@flexpa/link` 0.0.8 does so when the user cancels (its
  // CLOSED handler only closes). That is an exit without a reason. Mutation records arrive
  // in a microtask, after the script's synchronous `close(); onSuccess(token)`, which wins.
  watch() {
    if (this.live && this.iframe && !this.iframe.isConnected) {
      this.unwatch();
      this.end(EXIT, undefined);
    }
  }

  unwatch() {
    if (this.watcher) this.watcher.disconnect();
    this.iframe = null;
  }

  ensureLive() {
    if (!this.live) throw [this.retired];
  }

  callGlobal(method) {
    try {
      this.global[method]();
    } catch (thrown) {
      throw thrownError(method, thrown);
    }
  }
}

// Points the global's callbacks at a no-op, so that a message arriving later (through a
// listener a published script leaks) reaches no retired session and throws nothing. It also
// re-runs `create` with the same key and the no-ops, so that a script that kept the config
// object (instead of copying it) lets go of the old handlers too.
function detach(global) {
  const noop = () => {};
  const config = { onSuccess: noop, onExit: noop, onLoad: noop };
  Object.assign(global, config);
  const key = global.publishableKey;
  if (typeof key === "string" && key) {
    try {
      global.create({ ...config, publishableKey: key });
    } catch {
      // The properties above are detached already.
    }
  }
}

// What onExit received, in words: a string as is, nothing as undefined, anything else as JSON.
function exitReason(payload) {
  if (payload === undefined || payload === null || typeof payload === "string") {
    return payload ?? undefined;
  }
  try {
    return JSON.stringify(payload);
  } catch {
    return undefined;
  }
}

// A value a method of the global threw, as an error array: a string as is, an Error's name
// and message, anything else as JSON.
function thrownError(method, value) {
  if (typeof value === "string") return [E_THROWN, method, undefined, value];
  if (value instanceof Error) return [E_THROWN, method, String(value.name), String(value.message)];
  let json;
  try {
    json = JSON.stringify(value);
  } catch {
    // not JSON
  }
  return [E_THROWN, method, undefined, typeof json === "string" ? json : "a value that is not JSON"];
}

function lastBodyElement() {
  return document.body ? document.body.lastElementChild : null;
}
