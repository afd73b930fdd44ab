/*
 * A stand-in for https://js.flexpa.com/v1/ that behaves as the published script does
 * (see "How the stand-ins follow Flexpa" in the README).
 *
 * Used by the crate's browser tests and by the offline demo. It defines the same
 * `window.FlexpaLink` singleton with the same create/open/close/exit behaviour, the same
 * thrown values, the same iframe and the same message handling. Only the Link app URL differs
 * when configured:
 *   - `window.FLEXPA_LINK_SANDBOX_URL`, or the `data-link-url` attribute of this script tag,
 *     points the iframe at a stand-in Link app (the demo's); default https://link.flexpa.com/.
 *   - `window.FLEXPA_LINK_SANDBOX_LEAKY = true` reproduces the published version that leaks
 *     one window `message` listener per open (so a later SUCCESS reaches onSuccess twice).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var linkUrl =
    window.FLEXPA_LINK_SANDBOX_URL ||
    (script && script.getAttribute("data-link-url")) ||
    "https://link.flexpa.com/";
  var LINK_URL = new URL(linkUrl, window.location.href);
  var LINK_ORIGIN = LINK_URL.origin;
  var leaky = window.FLEXPA_LINK_SANDBOX_LEAKY === true;

  var iframe = null;
  var listener = null;

  function buildUrl(endpointOverride) {
    var url = new URL(LINK_URL.href);
    url.searchParams.set("publishableKey", FlexpaLink.publishableKey);
    url.searchParams.set("openerUrl", window.location.href);
    url.searchParams.set("strict", String(FlexpaLink.strict !== false));
    url.searchParams.set("autoExit", String(FlexpaLink.autoExit !== false));
    var endpoint = endpointOverride || FlexpaLink.endpoint;
    if (endpoint) url.searchParams.set("endpoint", endpoint);
    if (FlexpaLink.user) url.searchParams.set("user", JSON.stringify(FlexpaLink.user));
    if (FlexpaLink.usage) url.searchParams.set("usage", FlexpaLink.usage);
    return url.href;
  }

  function onMessage(event) {
    if (event.origin !== LINK_ORIGIN) return;
    var data = event.data;
    if (!data || typeof data !== "object") return;
    switch (data.type) {
      case "SUCCESS":
        FlexpaLink.close();
        FlexpaLink.onSuccess(data.payload);
        break;
      case "LOADED":
        if (typeof FlexpaLink.onLoad === "function") FlexpaLink.onLoad();
        break;
      case "CLOSED":
        FlexpaLink.close();
        if (typeof FlexpaLink.onExit === "function") FlexpaLink.onExit(data.payload);
        break;
      default:
        // v1 ignores the older REJECTED / TIMEOUT / ERROR messages and anything unknown.
        break;
    }
  }

  var FlexpaLink = {
    create: function (config) {
      if (!config || !config.publishableKey) throw "publishableKey required";
      if (!config.onSuccess) throw "onSuccess required";
      for (var key in config) {
        if (Object.prototype.hasOwnProperty.call(config, key)) FlexpaLink[key] = config[key];
      }
      FlexpaLink.targetUrl = buildUrl();
    },
    open: function (options) {
      if (!FlexpaLink.publishableKey) {
        throw new Error(
          "You must call `FlexpaLink.create(config)` before calling `FlexpaLink.open()`"
        );
      }
      if (iframe) return;
      iframe = document.createElement("iframe");
      iframe.title = "Flexpa Link";
      iframe.src = buildUrl(options && options.endpoint);
      iframe.setAttribute(
        "style",
        "position:fixed;top:0;left:0;width:100%;height:100%;border:0;z-index:999999;"
      );
      document.body.appendChild(iframe);
      listener = function (event) {
        onMessage(event);
      };
      window.addEventListener("message", listener);
    },
    close: function () {
      if (iframe) {
        iframe.remove();
        iframe = null;
      }
      if (listener) {
        if (!leaky) window.removeEventListener("message", listener);
        listener = null;
      }
    },
    exit: function () {
      FlexpaLink.close();
      if (typeof FlexpaLink.onExit === "function") FlexpaLink.onExit();
    },
  };

  window.FlexpaLink = FlexpaLink;
})();
