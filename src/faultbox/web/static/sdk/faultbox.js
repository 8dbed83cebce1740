/* Faultbox browser script: no build step, no dependencies, plain ES2017.
 *   <script src="https://faultbox.example.com/sdk/faultbox.js" crossorigin="anonymous"></script>
 *   <script>Faultbox.init({ dsn: "https://<key>@faultbox.example.com/1",
 *                           environment: "production", release: "web@1.0.0" });</script>
 * Reports uncaught errors and unhandled rejections to the native API
 * (POST /api/v1/errors), with the raw stack text (the server parses it) and its frames,
 * browser context and breadcrumbs (clicks, navigation, failed fetch/XHR: method, URL and
 * status only, never bodies). Whatever happens in here is caught: the page never sees it.
 */
(function (global) {
  "use strict";
  if (global.Faultbox && global.Faultbox.init) return;
  var VERSION = "1.0.0";
  var MAX_CRUMBS = 30, MAX_BODY = 60000, MAX_STACK = 20000;
  // What the server (as Sentry) refuses in these names: an event carrying one is refused.
  var BAD_ENVIRONMENT = /[\r\n\t\f\/]/, BAD_RELEASE = /[\r\n\t\f\/\\]/;
  var cfg = null, endpoint = "", crumbs = [], tags = {}, user = null, seen = {}, sent = [];
  var installed = false;
  var nativeFetch = global.fetch;
  var self = currentScript();

  function currentScript() {
    try { return document.currentScript && document.currentScript.src; } catch (e) { return ""; }
  }

  function safe(fn) {
    return function () {
      try { return fn.apply(this, arguments); } catch (e) { /* never into the page */ }
    };
  }

  function init(options) {
    var url = new URL(options.dsn);
    var path = url.pathname.replace(/\/+$/, "");
    var prefix = path.slice(0, path.lastIndexOf("/"));
    endpoint = url.protocol + "//" + url.host + prefix + "/api/v1/errors?faultbox_key=" +
      encodeURIComponent(decodeURIComponent(url.username));
    cfg = Object.assign({ sampleRate: 1, dedupeWindowMs: 5000, maxEventsPerMinute: 30, maxEventsPerPage: 100 }, options);
    if (installed) return; // a second init only changes the options
    installed = true;
    global.addEventListener("error", safe(onError));
    global.addEventListener("unhandledrejection", safe(onRejection));
    document.addEventListener("click", safe(onClick), true);
    wrapHistory();
    wrapFetch();
    wrapXhr();
  }

  function onError(e) {
    if (e.error instanceof Error) return capture(e.error, { type: "onerror", handled: false });
    // A thrown non-Error has only a message and a location. "Script error." is what a
    // script of another origin loaded without crossorigin leaves: nothing to act on.
    if (!e.filename && /^Script error\.?$/.test(e.message)) return;
    var frames = e.filename ? [{ filename: String(e.filename).slice(0, 2048), lineno: e.lineno, colno: e.colno }] : [];
    send(build("Error", String(e.message || "Error"), "", frames, { type: "onerror", handled: false }));
  }

  function onRejection(e) {
    var reason = e.reason, mechanism = { type: "onunhandledrejection", handled: false };
    if (reason instanceof Error) return capture(reason, mechanism);
    var text = String(reason);
    if (typeof reason !== "string") {
      try { text = JSON.stringify(reason) || text; } catch (err) { /* circular, BigInt */ }
    }
    send(build("UnhandledRejection", "Non-Error promise rejection captured with value: " + text, "", [], mechanism));
  }

  function capture(error, mechanism) {
    var stack = String(error.stack || "");
    send(build(error.name || "Error", String(error.message || ""), stack, parseStack(stack), mechanism));
  }

  // V8: "    at fn (url:1:2)", "    at url:1:2", "    at async fn (url:1:2)".
  // Firefox/Safari: "fn@url:1:2", "@url:1:2", "fn@[native code]". Newest frame first.
  var V8 = /^\s*at (?:(?:async )?(.*?) \()?(.*?):(\d+):(\d+)\)?\s*$/;
  var GECKO = /^\s*([^@]*)@(\S+?)(?::(\d+))?(?::(\d+))?\s*$/;

  function parseStack(stack) {
    var frames = [];
    stack.split("\n").slice(0, 100).forEach(function (line) {
      var m = V8.exec(line) || (/^\s*at /.test(line) ? null : GECKO.exec(line));
      if (!m || !m[2]) return;
      var frame = { filename: m[2].slice(0, 2048), lineno: num(m[3]), colno: num(m[4]) };
      var fn = (m[1] || "").replace(/^.*\*/, ""); // Firefox's "async*", "promise callback*"
      if (fn && fn !== "<anonymous>") frame.function = fn.slice(0, 1024);
      if (frame.filename === "[native code]" || frame.filename === "<anonymous>") delete frame.filename;
      if (self && frame.filename === self) frame.in_app = false;
      frames.push(frame);
    });
    return frames.reverse(); // oldest first, as Sentry's frames
  }

  function num(text) { return text ? parseInt(text, 10) : undefined; }

  function build(type, message, stack, frames, mechanism) {
    if (stack && stack.indexOf(message) === -1) stack = type + ": " + message + "\n" + stack;
    type = String(type || "Error").slice(0, 100);
    var env = name(cfg.environment, 64, BAD_ENVIRONMENT);
    var release = name(cfg.release, 200, BAD_RELEASE);
    var allTags = Object.assign({}, tags);
    var event = {
      eventId: uuid(),
      errorCode: type,
      errorType: type,
      message: message.slice(0, 5000),
      stackTrace: stack ? stack.slice(0, MAX_STACK) : undefined,
      sourceType: "frontend_web",
      serviceName: cfg.serviceName,
      userId: user && (user.id || user.email || user.username) ? String(user.id || user.email || user.username).slice(0, 200) : undefined,
      requestUrl: location.href.slice(0, 4096),
      environment: env,
      severity: "error",
      browserInfo: browserInfo(),
      userAgent: navigator.userAgent.slice(0, 1000),
      occurredAt: new Date().toISOString(),
      platform: "javascript",
      release: release,
      tags: allTags,
      breadcrumbs: crumbs.slice(),
      exception: { type: type, value: message, frames: frames, mechanism: mechanism },
    };
    // Today's contract keeps only its known fields: what it has no field for also
    // travels in context, so nothing captured is lost.
    event.context = { faultbox_js: { version: VERSION, release: release, tags: allTags, user: user,
      breadcrumbs: event.breadcrumbs, frames: frames, mechanism: mechanism } };
    return event;
  }

  function name(value, max, bad) {
    var text = value == null ? "" : String(value).trim();
    return text && text !== "." && text !== ".." && text.length <= max && !bad.test(text) ? text : undefined;
  }

  function browserInfo() {
    var ua = navigator.userAgent, m;
    var info = { name: "unknown", userAgent: ua.slice(0, 1000), language: navigator.language,
      viewport: innerWidth + "x" + innerHeight, url: location.href.slice(0, 2048) };
    if ((m = /Edg\/([\d.]+)/.exec(ua))) info.name = "Edge";
    else if ((m = /(?:Chrome|Chromium|CriOS)\/([\d.]+)/.exec(ua))) info.name = "Chrome";
    else if ((m = /(?:Firefox|FxiOS)\/([\d.]+)/.exec(ua))) info.name = "Firefox";
    else if ((m = /Version\/([\d.]+).*Safari\//.exec(ua))) info.name = "Safari";
    if (m) info.version = m[1];
    return info;
  }

  function uuid() {
    var c = global.crypto;
    if (c && c.randomUUID) return c.randomUUID().replace(/-/g, "");
    return "xxxxxxxxxxxx4xxxyxxxxxxxxxxxxxxx".replace(/[xy]/g, function (ch) {
      var r = (Math.random() * 16) | 0;
      return (ch === "x" ? r : (r & 3) | 8).toString(16);
    });
  }

  function send(event) {
    if (!cfg || Math.random() >= cfg.sampleRate) return;
    var now = Date.now();
    var top = event.exception.frames[event.exception.frames.length - 1] || {};
    var key = [event.errorType, event.message, top.filename, top.lineno, top.colno].join("|");
    if (seen[key] && now - seen[key] < cfg.dedupeWindowMs) return; // a repeat: sent once
    seen[key] = now;
    sent = sent.filter(function (t) { return now - t < 60000; });
    if (sent.length >= cfg.maxEventsPerMinute || cfg.maxEventsPerPage <= 0) return;
    if (cfg.beforeSend && !(event = cfg.beforeSend(event))) return;
    sent.push(now);
    cfg.maxEventsPerPage--;
    var body = JSON.stringify(event);
    if (body.length > MAX_BODY) { // beacons and keepalive fetches carry at most 64 KB
      event.breadcrumbs = event.context.faultbox_js.breadcrumbs = [];
      event.stackTrace = event.stackTrace && event.stackTrace.slice(0, 8000);
      event.message = event.exception.value = event.message.slice(0, 2000);
      event.exception.frames = event.context.faultbox_js.frames = event.exception.frames.slice(-50);
      body = JSON.stringify(event);
    }
    post(body);
  }

  // text/plain and the key in the URL: a "simple" cross-origin request, no preflight.
  // Beacons and keepalive fetches share a 64 KB in-flight quota; past it, a plain fetch.
  function post(body) {
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) return;
    if (!nativeFetch) return;
    var options = { method: "POST", body: body, credentials: "omit", headers: { "Content-Type": "text/plain" } };
    nativeFetch.call(global, endpoint, Object.assign({ keepalive: true }, options)).catch(function () {
      return nativeFetch.call(global, endpoint, options);
    }).catch(function () {});
  }

  function addBreadcrumb(crumb) {
    crumb.timestamp = Date.now() / 1000;
    crumbs.push(crumb);
    if (crumbs.length > MAX_CRUMBS) crumbs.shift();
  }

  function selector(el) {
    var parts = [];
    var root = document.body && document.body.parentElement;
    for (var i = 0; el && el.nodeType === 1 && el !== document.body && el !== root && i < 4; i++, el = el.parentElement) {
      var part = el.tagName.toLowerCase();
      if (el.id) part += "#" + el.id;
      var classes = typeof el.className === "string" ? el.className.trim().split(/\s+/).slice(0, 2) : [];
      if (classes[0]) part += "." + classes.join(".");
      if (el.getAttribute("name")) part += '[name="' + el.getAttribute("name") + '"]';
      parts.unshift(part);
      if (el.id) break;
    }
    return parts.join(" > ") || "body";
  }

  function onClick(e) {
    addBreadcrumb({ type: "user", category: "ui.click", message: selector(e.target) });
  }

  function navigated(to) {
    var from = lastUrl;
    lastUrl = location.href;
    addBreadcrumb({ type: "navigation", category: "navigation", data: { from: from, to: String(to || lastUrl) } });
  }
  var lastUrl = location.href;

  function wrapHistory() {
    ["pushState", "replaceState"].forEach(function (name) {
      var original = history[name];
      if (!original) return;
      history[name] = function (state, title, url) {
        var result = original.apply(this, arguments);
        safe(navigated)(url);
        return result;
      };
    });
    global.addEventListener("popstate", safe(function () { navigated(); }));
  }

  function httpCrumb(category, method, url, status) {
    if (String(url).indexOf(endpoint.split("?")[0]) === 0) return; // our own reports
    var data = { method: String(method || "GET").toUpperCase(), url: String(url).split("#")[0].slice(0, 2048) };
    if (status) data.status_code = status; else data.reason = "network error";
    addBreadcrumb({ type: "http", category: category, level: "error", data: data });
  }

  function wrapFetch() {
    if (!nativeFetch) return;
    global.fetch = function (input, init) {
      var method = (init && init.method) || (input && input.method) || "GET";
      var url = typeof input === "string" ? input : (input && input.url) || String(input);
      // The page gets fetch's own promise: a rejection passed on from this script would
      // be muted (no unhandledrejection event) when it is loaded from another origin.
      var promise = nativeFetch.apply(global, arguments);
      promise.then(function (response) {
        if (!response.ok) safe(httpCrumb)("fetch", method, url, response.status);
      }, function () { safe(httpCrumb)("fetch", method, url, 0); });
      return promise;
    };
  }

  function wrapXhr() {
    var proto = global.XMLHttpRequest && XMLHttpRequest.prototype;
    if (!proto) return;
    var open = proto.open, sendXhr = proto.send;
    proto.open = function (method, url) {
      this.__faultbox = { method: method, url: url };
      return open.apply(this, arguments);
    };
    proto.send = function () {
      var xhr = this, info = xhr.__faultbox;
      if (info) {
        xhr.addEventListener("loadend", safe(function () {
          if (xhr.status === 0 || xhr.status >= 400) httpCrumb("xhr", info.method, info.url, xhr.status);
        }));
      }
      return sendXhr.apply(this, arguments);
    };
  }

  global.Faultbox = {
    init: safe(init),
    captureException: safe(function (error) {
      if (error instanceof Error) capture(error, { type: "generic", handled: true });
      else send(build("Error", String(error), "", [], { type: "generic", handled: true }));
    }),
    captureMessage: safe(function (message) {
      var event = build("Message", String(message), "", [], { type: "generic", handled: true });
      event.severity = "info";
      send(event);
    }),
    setUser: safe(function (value) { user = value || null; }),
    setTag: safe(function (key, value) {
      key = String(key).slice(0, 200);
      if (key.trim() && (key in tags || Object.keys(tags).length < 50)) tags[key] = String(value).slice(0, 200);
    }),
    addBreadcrumb: safe(function (crumb) { addBreadcrumb(Object.assign({}, crumb)); }),
    VERSION: VERSION,
  };
})(window);
