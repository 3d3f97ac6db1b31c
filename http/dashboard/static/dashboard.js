// The Dashboard's only script: copy buttons and the live tail. Loaded with
// the page's CSP nonce; it builds rows with textContent, never HTML.
"use strict";

function setupCopy() {
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var target = document.getElementById(btn.getAttribute("data-copy"));
      var status = document.getElementById("copied");
      var text = target ? target.textContent : "";
      var done = function (msg) { if (status) { status.textContent = msg; } };
      var fallback = function () {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        done(document.execCommand && document.execCommand("copy") ? "Copied." : "Selected: press Ctrl+C to copy.");
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done("Copied."); }, fallback);
      } else {
        fallback();
      }
    });
  });
}

function cell(tr, text, cls) {
  var td = document.createElement("td");
  if (cls) { td.className = cls; }
  if (text instanceof Node) { td.appendChild(text); } else { td.textContent = text; }
  tr.appendChild(td);
  return td;
}

function code(text) {
  var c = document.createElement("code");
  c.textContent = text;
  return c;
}

function formatTime(iso) {
  return iso.replace("T", " ").replace("Z", " UTC");
}

function liveRow(e) {
  var tr = document.createElement("tr");
  tr.setAttribute("data-id", e.id);
  tr.className = "new";
  var badge = document.createElement("span");
  badge.className = "status s" + Math.floor(e.status / 100) + "xx";
  badge.textContent = String(e.status);
  cell(tr, badge);
  var a = document.createElement("a");
  a.href = "/dashboard/logs/" + encodeURIComponent(e.id);
  a.appendChild(code(e.method + " " + e.path));
  cell(tr, a);
  cell(tr, formatTime(e.created_at), "nowrap");
  cell(tr, e.error_code ? code(e.error_code) : "");
  var key = document.createElement("a");
  key.href = "/dashboard/logs?key=" + encodeURIComponent(e.api_key_id || "");
  key.title = "This key's requests";
  key.appendChild(code(e.api_key_id || ""));
  cell(tr, e.api_key_id ? key : "");
  cell(tr, e.duration_ms.toFixed(2) + " ms", "num");
  cell(tr, e.source || "");
  return tr;
}

var liveMax = 500;

function setupLive() {
  var body = document.getElementById("live-rows");
  if (!body || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var say = function (msg) { if (status) { status.textContent = msg; } };
  var es = new EventSource(body.getAttribute("data-stream"));
  es.addEventListener("open", function () { say("Live: new requests appear at the top as they finish."); });
  es.addEventListener("request", function (ev) {
    body.insertBefore(liveRow(JSON.parse(ev.data)), body.firstChild);
    while (body.rows.length > liveMax) { body.deleteRow(body.rows.length - 1); }
  });
  es.addEventListener("signed_out", function () {
    es.close();
    say("Your session ended.");
    window.location.assign("/dashboard/login?ended=1");
  });
  es.addEventListener("error", function (ev) {
    if (ev.data) {
      es.close();
      say(JSON.parse(ev.data).message);
    } else if (es.readyState === EventSource.CLOSED) {
      // Refused (signed out): reloading leads to the sign-in page.
      window.location.reload();
    } else {
      say("Reconnecting…");
    }
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setupCopy();
  setupLive();
});
