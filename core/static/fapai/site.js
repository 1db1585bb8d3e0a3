/* fapai pages: countdowns on server time and accessible tabs. Plain script, no dependencies.
 *
 * Server time: <body data-server-now> is the server's clock (epoch ms) when the page was rendered.
 * The offset server − device is measured once at load; every countdown uses Date.now() + offset, so a
 * wrong device clock does not change what the visitor sees. Other scripts (live bidding) read
 * window.fapai.serverNow() and may update data-start / data-end: each tick re-reads them. */
(function () {
  "use strict";

  var SKEW_WARNING_MS = 5000;
  var serverAtLoad = Number(document.body.getAttribute("data-server-now"));
  var offset = serverAtLoad > 0 ? serverAtLoad - Date.now() : 0;

  window.fapai = window.fapai || {};
  window.fapai.clockOffset = offset;
  window.fapai.serverNow = function () {
    return Date.now() + offset;
  };
  // Live frames carry the server time: re-measure the offset (keeping the smallest network delay
  // seen is not needed at this precision) and show the device-clock warning if it drifted.
  window.fapai.setServerNow = function (serverMs) {
    offset = serverMs - Date.now();
    window.fapai.clockOffset = offset;
    Array.prototype.forEach.call(document.querySelectorAll("[data-clock-warning]"), function (el) {
      el.hidden = Math.abs(offset) <= SKEW_WARNING_MS;
    });
  };

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function formatDuration(template, ms) {
    var total = Math.max(0, Math.floor(ms / 1000));
    var parts = {
      d: String(Math.floor(total / 86400)),
      h: pad(Math.floor((total % 86400) / 3600)),
      m: pad(Math.floor((total % 3600) / 60)),
      s: pad(total % 60)
    };
    return template.replace(/\{([dhms])\}/g, function (_, key) {
      return parts[key];
    });
  }

  function setText(el, text) {
    if (el && el.textContent !== text) {
      el.textContent = text;
    }
  }

  var countdowns = Array.prototype.slice.call(document.querySelectorAll("[data-countdown]"));

  function tick() {
    var now = window.fapai.serverNow();
    countdowns.forEach(function (el) {
      var start = Number(el.getAttribute("data-start"));
      var end = Number(el.getAttribute("data-end"));
      var template = el.getAttribute("data-format") || "{d} {h}:{m}:{s}";
      var label = el.querySelector(".countdown-label");
      var value = el.querySelector(".countdown-value");
      if (now < start) {
        el.setAttribute("data-phase", "before");
        setText(label, el.getAttribute("data-label-before"));
        setText(value, formatDuration(template, start - now));
      } else if (now < end) {
        el.setAttribute("data-phase", "running");
        setText(label, el.getAttribute("data-label-running"));
        setText(value, formatDuration(template, end - now));
      } else {
        el.setAttribute("data-phase", "ended");
        setText(label, el.getAttribute("data-label-ended"));
        setText(value, "");
      }
    });
  }

  if (countdowns.length) {
    tick();
    window.setInterval(tick, 250);
    if (Math.abs(offset) > SKEW_WARNING_MS) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-clock-warning]"), function (el) {
        el.hidden = false;
      });
    }
  }

  /* Tabs (WAI-ARIA tabs pattern). Without this script every panel is shown one after the other
   * and the tab list stays hidden (see site.css), so no content depends on JavaScript. */
  function initTabs(container) {
    var tabs = Array.prototype.slice.call(container.querySelectorAll('[role="tab"]'));
    if (!tabs.length) {
      return;
    }

    function panelOf(tab) {
      return document.getElementById(tab.getAttribute("aria-controls"));
    }

    function select(tab, focusTab) {
      tabs.forEach(function (t) {
        var selected = t === tab;
        t.setAttribute("aria-selected", selected ? "true" : "false");
        t.tabIndex = selected ? 0 : -1;
        var panel = panelOf(t);
        if (panel) {
          panel.hidden = !selected;
        }
      });
      if (focusTab) {
        tab.focus();
      }
    }

    function tabForHash() {
      var id = window.location.hash.slice(1);
      for (var i = 0; i < tabs.length; i++) {
        if (tabs[i].id === id || tabs[i].getAttribute("aria-controls") === id) {
          return tabs[i];
        }
      }
      return null;
    }

    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () {
        select(tab, false);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "#" + tab.getAttribute("aria-controls"));
        }
      });
      tab.addEventListener("keydown", function (event) {
        var target = null;
        if (event.key === "ArrowRight") {
          target = tabs[(index + 1) % tabs.length];
        } else if (event.key === "ArrowLeft") {
          target = tabs[(index - 1 + tabs.length) % tabs.length];
        } else if (event.key === "Home") {
          target = tabs[0];
        } else if (event.key === "End") {
          target = tabs[tabs.length - 1];
        }
        if (target) {
          event.preventDefault();
          select(target, true);
        }
      });
    });

    window.addEventListener("hashchange", function () {
      var tab = tabForHash();
      if (tab) {
        select(tab, false);
        panelOf(tab).focus();
      }
    });

    select(tabForHash() || tabs[0], false);
    container.classList.add("tabs-ready");
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-tabs]"), initTabs);
})();
