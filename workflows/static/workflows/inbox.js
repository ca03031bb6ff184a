// The live inbox: a websocket hint for each new notification, a catch-up from the database on
// every (re)connect and every page change, and from the server whenever it finds a notification
// whose push was lost (Redis down or resubscribing). The inbox page stays the source of truth;
// this only saves a reload. Pages are swapped by Turbo, so elements are looked up afresh each time.
(function () {
  "use strict";
  var socket = null;
  var delay = 1000;
  var unread = 0;
  // Ids this page has shown or counted, so a push and a catch-up naming the same notification
  // toast it once; lastId tells, after a reconnect, which ones arrived while the socket was down.
  var known = {};
  var lastId = 0;
  var synced = false;
  var MAX_TOASTS = 3;

  function bell() { return document.querySelector(".sv-inbox[data-socket]"); }

  function setCount(n) {
    unread = n;
    var b = bell();
    if (!b) return;
    var badge = b.querySelector(".sv-badge");
    badge.textContent = n > 99 ? "99+" : String(n);
    badge.hidden = n <= 0;
    b.setAttribute("data-unread", String(n));
  }

  function toast(n) {
    var box = document.querySelector(".sv-toasts");
    var b = bell();
    if (!box || !b) return;
    var item = document.createElement("div");
    item.className = "sv-toast";
    item.setAttribute("role", "status");
    // The server sends the link with each notification (one place computes it for every kind).
    var text = document.createElement(n.url ? "a" : "span");
    text.textContent = n.text;
    if (n.url) text.href = n.url;
    item.appendChild(text);
    box.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
  }

  // Figures on the page ([data-live] elements: overview cards, queue counts) change with what a
  // notification reports, but only the bell used to follow it. After a toast the page is read
  // again in the background (a GET of its own address, as a reload would) and those elements
  // alone are swapped for their fresh copies, matched by key and order; forms and scroll stay.
  var LIVE_DELAY = 800; // one read for a burst of notifications
  var liveTimer = null;

  function liveParts(root) {
    var parts = {};
    root.querySelectorAll("[data-live]").forEach(function (el) {
      var key = el.getAttribute("data-live");
      (parts[key] = parts[key] || []).push(el);
    });
    return parts;
  }

  function refreshLive() {
    liveTimer = null;
    if (!document.querySelector("[data-live]") || !window.fetch || !window.DOMParser) return;
    var url = location.href;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (html === null || location.href !== url) return; // gone elsewhere meanwhile
        var fresh = liveParts(new DOMParser().parseFromString(html, "text/html"));
        var here = liveParts(document);
        Object.keys(here).forEach(function (key) {
          here[key].forEach(function (el, i) {
            var next = fresh[key] && fresh[key][i];
            if (next) el.replaceWith(document.importNode(next, true));
          });
        });
      })
      .catch(function () { /* offline: the figures stay as they were, the next push tries again */ });
  }

  function liveSoon() {
    if (liveTimer) clearTimeout(liveTimer);
    liveTimer = setTimeout(refreshLive, LIVE_DELAY);
  }

  function remember(n) {
    known[n.id] = true;
    if (n.id > lastId) lastId = n.id;
  }

  function catchUp(data) {
    // Toast what the page has not seen: what the server says it missed, and after a reconnect
    // what is newer than the last notification this page knew of. The count is the server's.
    var fresh = (data.missed || []).slice();
    if (synced) {
      (data.latest || []).forEach(function (n) { if (n.id > lastId) fresh.push(n); });
    }
    synced = true;
    var shown = 0;
    fresh.forEach(function (n) {
      if (known[n.id]) return;
      known[n.id] = true;
      if (shown++ < MAX_TOASTS) toast(n);
    });
    if (shown) liveSoon();
    (data.latest || []).forEach(remember);
    setCount(data.unread);
  }

  function connect() {
    var b = bell();
    if (!b || !window.WebSocket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + b.getAttribute("data-socket"));
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "catch_up") catchUp(data);
      if (data.type === "notification" && !known[data.id]) {
        remember(data);
        setCount(unread + 1);
        toast(data);
        liveSoon();
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4401) return; // logged out: do not knock again
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  function onPage() {
    if (!bell()) return;
    if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "catch_up" }));
    else if (!socket) connect();
    else setCount(unread);
  }

  document.addEventListener("turbo:load", onPage);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", onPage);
  else onPage();
})();
