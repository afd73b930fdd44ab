/*
 * A stand-in for the older Flexpa Link script published on npm as `@flexpa/link` 0.0.8
 * (`dist/flexpa-link.iife.js`), written from its published behaviour, for the crate's browser
 * tests (tests/web_script_0_0_8.rs). The e2e suite runs the published file itself
 * (e2e/tests/published-script.test.js).
 *
 * How it differs from v1 (sandbox/flexpa-link.js, docs/flexpa.md):
 *   - `create` copies only publishableKey, brandColor, endpoint and onSuccess, and throws the
 *     same plain strings ('publishableKey required', 'onSuccess required').
 *   - no `exit`, no onExit, no onLoad: a `CLOSED` message only closes the iframe; `LOADED` is
 *     ignored.
 *   - every `open` adds `this.listen.bind(this)` as a window `message` listener and `close`
 *     removes a new bound function, i.e. nothing: one listener leaks per opening, so after n
 *     openings a `SUCCESS` calls onSuccess n times.
 *   - the iframe has no title; its URL carries `openerOrigin` instead of `openerUrl`.
 *   - a message whose `data` is not an object makes the listener throw.
 */
(function () {
  "use strict";

  var LINK_APP_URL = "https://link.flexpa.com";

  function FlexpaLink() {
    this.iframe = undefined;
    this.publishableKey = undefined;
    this.brandColor = undefined;
    this.endpoint = undefined;
    this.targetUrl = undefined;
    this.onSuccess = undefined;
  }

  FlexpaLink.prototype.listen = function (event) {
    if (event.origin !== LINK_APP_URL) return;
    switch (event.data.type) {
      case "SUCCESS":
        this.close();
        this.onSuccess && this.onSuccess(event.data.payload);
        break;
      case "CLOSED":
        this.close();
        break;
    }
  };

  FlexpaLink.prototype.create = function (config) {
    this.publishableKey = config.publishableKey;
    this.brandColor = config.brandColor;
    this.endpoint = config.endpoint;
    this.onSuccess = config.onSuccess;
    this.targetUrl = this.buildTargetUrl();
  };

  FlexpaLink.prototype.open = function (options) {
    if (!this.publishableKey) {
      throw new Error(
        "You must call `FlexpaLink.create(config)` before calling `FlexpaLink.open()`"
      );
    }
    if (!this.iframe) {
      var iframe = document.createElement("iframe");
      iframe.style.position = "fixed";
      iframe.style.top = "0";
      iframe.style.left = "0";
      iframe.style.width = "100%";
      iframe.style.height = "100%";
      iframe.style.border = "none";
      iframe.style.zIndex = "999999";
      iframe.src = this.buildTargetUrl(options == null ? undefined : options.endpoint).toString();
      this.iframe = iframe;
      document.body.appendChild(iframe);
      window.addEventListener("message", this.listen.bind(this));
    }
  };

  FlexpaLink.prototype.close = function () {
    if (this.iframe) {
      document.body.removeChild(this.iframe);
      this.iframe = undefined;
      window.removeEventListener("message", this.listen.bind(this));
    }
  };

  FlexpaLink.prototype.buildTargetUrl = function (endpoint) {
    if (!this.publishableKey) throw "publishableKey required";
    if (!this.onSuccess) throw "onSuccess required";
    var url = new URL(LINK_APP_URL);
    url.searchParams.append("publishableKey", this.publishableKey);
    url.searchParams.append("openerOrigin", window.location.origin);
    if (this.brandColor) url.searchParams.append("brandColor", this.brandColor);
    if (endpoint) {
      url.searchParams.append("endpoint", endpoint);
    } else if (this.endpoint) {
      url.searchParams.append("endpoint", this.endpoint);
    }
    return url;
  };

  window.FlexpaLink = new FlexpaLink();
})();
