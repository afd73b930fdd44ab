/*
 * The sandbox's stand-in for the Flexpa Link app (https://link.flexpa.com/), opened by the Link
 * script in a full-screen iframe with
 *   ?publishableKey=..&openerUrl=..&strict=..&autoExit=..[&endpoint=..][&user=<json>][&usage=..]
 * (v1), or ?publishableKey=..&openerOrigin=..[&endpoint=..] (the older script published on npm as
 * @flexpa/link 0.0.8).
 *
 * It speaks the Link protocol to the page that opened it: window.parent.postMessage(
 *   {type: "LOADED"} | {type: "SUCCESS", payload: "public_token_<uuid>"} | {type: "CLOSED"},
 *   <the origin of openerUrl>)
 * so the browser delivers nothing to a page whose origin is not the one Link was opened for.
 * The public token is minted by this sandbox's server when the sample credentials are right.
 *
 * strict and autoExit (v1 sends both as "true"/"false"; both default to true, and the older
 * script, which sends neither, gets the defaults). Flexpa's public docs name these options but
 * do not spell out their screens, so the sandbox does the least surprising thing:
 *   strict=true   with an endpoint: only that health plan can be linked. Its sign-in opens
 *                 directly, without "Choose a different plan"; an endpoint the sandbox does not
 *                 know is an error screen (Close posts CLOSED) rather than a list of other
 *                 plans. Without an endpoint, strict changes nothing.
 *   strict=false  with an endpoint: that plan's sign-in opens, and the user may switch plans;
 *                 an unknown endpoint shows the list with a notice.
 *   autoExit=true   SUCCESS is posted as soon as the sign-in succeeds; the Link script then
 *                   removes the iframe and calls onSuccess (Link "exits" by itself).
 *   autoExit=false  Link stays on its "Connected" screen until the user presses Done (or the
 *                   close button, or Escape); only then is SUCCESS posted, so the script
 *                   closes Link and calls onSuccess. The user has linked: dismissing the
 *                   connected screen delivers the token, it never posts CLOSED.
 * Plain JavaScript, no framework; all text is set with textContent.
 */
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.search);
  var publishableKey = params.get("publishableKey") || "";
  // v1 sends the opener's URL, the older published script its origin.
  var openerUrl = params.get("openerUrl") || params.get("openerOrigin") || "";
  var requestedEndpoint = params.get("endpoint");
  var user = params.get("user");
  var usage = params.get("usage");
  var strict = params.get("strict") !== "false";
  var autoExit = params.get("autoExit") !== "false";

  var openerOrigin = null;
  try {
    var origin = new URL(openerUrl).origin;
    if (origin && origin !== "null") openerOrigin = origin;
  } catch (e) {
    openerOrigin = null;
  }
  // Inside the Link script's iframe the opener is the parent; a pop-up has window.opener.
  var opener = window.parent !== window ? window.parent : window.opener;

  var plans = [];
  var plan = null;
  var finished = false;
  // strict with a known endpoint: no other plan can be chosen.
  var locked = false;
  // autoExit=false: the public token, held until the user presses Done.
  var heldToken = null;

  function $(id) {
    return document.getElementById(id);
  }

  /** Posts a Link message to the page that opened Link, and only to its origin. */
  function post(type, payload) {
    if (!opener || !openerOrigin) return;
    var message = payload === undefined ? { type: type } : { type: type, payload: payload };
    opener.postMessage(message, openerOrigin);
  }

  function show(screen) {
    ["loading", "error", "plans", "sign-in", "done"].forEach(function (name) {
      $("screen-" + name).hidden = name !== screen;
    });
    // Nothing left to cancel once connected.
    $("cancel").hidden = screen === "done";
  }

  function fatal(message) {
    $("fatal-error").textContent = message;
    show("error");
  }

  function close() {
    if (finished) return;
    finished = true;
    post("CLOSED");
    if (!opener) {
      document.body.textContent = "Flexpa Link closed. You can close this window.";
    }
  }

  /** Done (autoExit=false): hands the held public token to the app, once. */
  function done() {
    if (heldToken === null) return;
    var token = heldToken;
    heldToken = null;
    $("done").disabled = true;
    post("SUCCESS", token);
  }

  /** The close button and Escape: deliver a held token, else cancel. */
  function dismiss() {
    if (heldToken !== null) done();
    else close();
  }

  function findPlan(idOrName) {
    for (var i = 0; i < plans.length; i++) {
      if (plans[i].id === idOrName || plans[i].name === idOrName) return plans[i];
    }
    return null;
  }

  function renderPlans() {
    if (locked) return;
    var list = $("plans");
    list.textContent = "";
    plans.forEach(function (p) {
      var item = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "plan";
      button.setAttribute("data-endpoint", p.name);
      button.textContent = p.label[0];
      var kind = document.createElement("small");
      kind.textContent = p.kind;
      button.appendChild(kind);
      button.addEventListener("click", function () {
        choose(p);
      });
      item.appendChild(button);
      list.appendChild(item);
    });
    show("plans");
  }

  function choose(p) {
    plan = p;
    $("plan-name").textContent = p.label[0];
    $("plan-kind").textContent = p.kind;
    $("sample-username").textContent = p.username;
    $("sample-password").textContent = p.password;
    $("username").value = "";
    $("password").value = "";
    $("sign-in-error").hidden = true;
    $("sign-in").disabled = false;
    $("back").hidden = locked;
    show("sign-in");
    $("username").focus();
  }

  function signIn(event) {
    event.preventDefault();
    if (!plan || finished) return;
    var button = $("sign-in");
    var errorBox = $("sign-in-error");
    errorBox.hidden = true;
    button.disabled = true;
    fetch("sandbox/sign-in", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        publishableKey: publishableKey,
        endpoint: plan.id,
        username: $("username").value,
        password: $("password").value,
        user: user,
        usage: usage,
      }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          return { ok: response.ok, body: body };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          errorBox.textContent = (result.body && result.body.message) || "Sign-in failed.";
          errorBox.hidden = false;
          button.disabled = false;
          return;
        }
        finished = true;
        $("done-plan").textContent = plan.label[0];
        show("done");
        if (autoExit) {
          post("SUCCESS", result.body.public_token);
        } else {
          heldToken = result.body.public_token;
          $("done-hint").hidden = false;
          $("done").hidden = false;
          $("done").focus();
        }
      })
      .catch(function (e) {
        errorBox.textContent = "The sandbox did not answer: " + e.message;
        errorBox.hidden = false;
        button.disabled = false;
      });
  }

  $("close").addEventListener("click", dismiss);
  $("done").addEventListener("click", done);
  $("cancel").addEventListener("click", close);
  $("error-close").addEventListener("click", close);
  $("back").addEventListener("click", renderPlans);
  $("sign-in-form").addEventListener("submit", signIn);
  $("fill-sample").addEventListener("click", function () {
    if (!plan) return;
    $("username").value = plan.username;
    $("password").value = plan.password;
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") dismiss();
  });

  if (!openerOrigin) {
    fatal("Link was opened without a valid openerUrl, so it cannot report back to the app.");
    return;
  }
  if (!publishableKey) {
    fatal("publishableKey is missing: FlexpaLink.create() needs the app's publishable key.");
    post("LOADED");
    return;
  }

  fetch("sandbox/plans?publishableKey=" + encodeURIComponent(publishableKey))
    .then(function (response) {
      return response.json().then(function (body) {
        return { ok: response.ok, body: body };
      });
    })
    .then(function (result) {
      if (!result.ok) {
        fatal((result.body && result.body.message) || "Link cannot start.");
        return;
      }
      plans = result.body.plans;
      var preselected = requestedEndpoint ? findPlan(requestedEndpoint) : null;
      if (preselected) {
        locked = strict;
        choose(preselected);
      } else if (requestedEndpoint && strict) {
        fatal(
          "The health plan this app asked for (" + requestedEndpoint + ") is not available in the sandbox, " +
            "and the app allows no other plan."
        );
      } else {
        if (requestedEndpoint) {
          $("plans-notice").textContent =
            "The requested health plan (" + requestedEndpoint + ") is not in the sandbox. Choose one below.";
          $("plans-notice").hidden = false;
        }
        renderPlans();
      }
    })
    .catch(function (e) {
      fatal("The sandbox did not answer: " + e.message);
    })
    .then(function () {
      post("LOADED");
    });
})();
