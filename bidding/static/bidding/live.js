/* The live panel of a round (wire protocol: docs/realtime.md). Plain script, no dependencies.
 * Events are applied in seq order; a gap, a heartbeat ahead of us or a reconnect sends
 * {"type":"resync","last_seq":n} and the server answers with the missed bids or a fresh snapshot.
 * Money is integer fen end to end; the amount typed in yuan is parsed as a string, never a float. */
(function () {
  "use strict";

  var panel = document.querySelector("[data-live-round]");
  if (!panel || !window.WebSocket) {
    return;
  }
  var roundId = panel.getAttribute("data-live-round");
  var myCode = panel.getAttribute("data-my-code") || "";
  var state = { seq: Number(panel.getAttribute("data-seq")) || 0, price: null, leader: "", status: "",
                increment: Number(panel.getAttribute("data-increment")), start: Number(panel.getAttribute("data-start-price")) };
  var plural = new Intl.PluralRules(document.documentElement.lang || "en");
  var socket = null;
  var retry = 0;
  var pending = null;

  function t(key, params) {
    var text = panel.getAttribute("data-t-" + key) || "";
    Object.keys(params || {}).forEach(function (k) {
      text = text.replace("%(" + k + ")s", params[k]);
    });
    return text;
  }
  function el(name) {
    return panel.querySelector('[data-live="' + name + '"]');
  }
  function setText(node, text) {
    if (node && node.textContent !== text) {
      node.textContent = text;
    }
  }
  function yuan(fen) {
    if (fen === null || fen === undefined) {
      return "—";
    }
    var whole = Math.floor(fen / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var cents = String(fen % 100);
    return "¥" + whole + "." + (cents.length < 2 ? "0" + cents : cents);
  }
  function yuanPlain(fen) {
    var cents = String(fen % 100);
    return Math.floor(fen / 100) + "." + (cents.length < 2 ? "0" + cents : cents);
  }
  function parseYuan(text) {
    var m = /^\s*¥?\s*([0-9][0-9,]*)(?:\.([0-9]{1,2}))?\s*$/.exec(text || "");
    if (!m) {
      return null;
    }
    var cents = (m[2] || "").length === 1 ? m[2] + "0" : (m[2] || "00");
    return Number(m[1].replace(/,/g, "")) * 100 + Number(cents);
  }
  function minimum() {
    return state.price === null ? state.start : state.price + state.increment;
  }
  function clientId() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    return "w" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function serverTime(ms) {
    if (ms && window.fapai && window.fapai.setServerNow) {
      window.fapai.setServerNow(ms);
    }
  }

  function render(frame) {
    document.querySelectorAll("[data-price]").forEach(function (n) { setText(n, yuan(state.price === null ? state.start : state.price)); });
    document.querySelectorAll("[data-leader]").forEach(function (n) { setText(n, state.leader || "—"); });
    document.querySelectorAll("[data-bid-count]").forEach(function (n) { setText(n, String(state.seq)); });
    document.querySelectorAll("[data-bid-count-sentence]").forEach(function (n) {
      var form = plural.select(state.seq) === "one" ? "data-one" : "data-other";
      setText(n, (n.getAttribute(form) || "").replace("{n}", String(state.seq)));
    });
    if (frame && frame.extension_count !== undefined) {
      document.querySelectorAll("[data-extensions]").forEach(function (n) { setText(n, t("extensions", { count: frame.extension_count })); });
    }
    if (frame && frame.effective_end) {
      document.querySelectorAll("[data-countdown]").forEach(function (n) { n.setAttribute("data-end", String(frame.effective_end)); });
    }
    setText(el("minimum"), yuan(minimum()));
    if (state.seq > 0) {
      document.querySelectorAll(".price-box .price-label").forEach(function (n) { setText(n, t("current-price")); });
    }
    // The amount offered is the minimum at load: raise it with the price, unless the bidder is typing.
    var amount = el("amount");
    if (amount && document.activeElement !== amount) {
      var typed = parseYuan(amount.value);
      if (typed === null || typed < minimum()) {
        amount.value = yuanPlain(minimum());
      }
    }
    var mine = el("my-status");
    if (mine && myCode && state.seq > 0) {
      setText(mine, state.leader === myCode ? t("leading") : t("outbid"));
      mine.className = "my-status " + (state.leader === myCode ? "leading" : "outbid");
    }
  }

  function addRow(bid) {
    var body = document.querySelector("[data-bid-rows]");
    if (!body) {
      return;
    }
    if (body.querySelector('[data-seq="' + bid.seq + '"]')) {
      return;
    }
    body.querySelectorAll("tr").forEach(function (row) {
      row.classList.remove("leading");
      var badge = row.querySelector(".badge.status-leading");
      if (badge) {
        badge.className = "badge";
        badge.textContent = t("outbid-badge");
      }
    });
    var row = document.createElement("tr");
    row.setAttribute("data-seq", String(bid.seq));
    row.className = "leading";
    var cells = [t("leading-badge"), bid.code, yuan(bid.amount_fen), new Date(bid.at).toLocaleString(), String(bid.seq)];
    cells.forEach(function (text, i) {
      var td = document.createElement("td");
      if (i === 0) {
        var span = document.createElement("span");
        span.className = "badge status-leading";
        span.textContent = text;
        td.appendChild(span);
      } else {
        td.textContent = text;
        if (i === 1) { td.className = "code"; }
        if (i === 2 || i === 4) { td.className = "num"; }
      }
      row.appendChild(td);
    });
    body.insertBefore(row, body.firstChild);
    // The first bid of a page loaded without any: show the table instead of "no bids yet".
    var table = body.closest("table");
    if (table) { table.hidden = false; }
    document.querySelectorAll("[data-bid-empty]").forEach(function (n) { n.hidden = true; });
    document.querySelectorAll("[data-bid-count-sentence]").forEach(function (n) { n.hidden = false; });
  }

  function applyBid(bid) {
    if (bid.seq <= state.seq) {
      return; // already applied (the channel may duplicate)
    }
    if (bid.seq !== state.seq + 1) {
      send({ type: "resync", last_seq: state.seq });
      return;
    }
    state.seq = bid.seq;
    state.price = bid.current_price_fen;
    state.leader = bid.leader_code;
    addRow(bid);
    setText(el("announce"), t("announce", { amount: yuan(bid.amount_fen), code: bid.code }));
    render(bid);
  }

  function onFrame(frame) {
    serverTime(frame.server_time);
    switch (frame.type) {
      case "snapshot":
        state.seq = frame.seq;
        state.price = frame.current_price_fen;
        state.leader = frame.leader_code;
        state.status = frame.status;
        state.start = frame.start_price_fen;
        state.increment = frame.increment_fen;
        frame.bids.slice().reverse().forEach(addRow);
        setText(el("watchers"), t("watchers", { count: frame.watcher_count }));
        render(frame);
        break;
      case "bid":
        applyBid(frame);
        break;
      case "missed":
        frame.bids.forEach(applyBid);
        break;
      case "heartbeat":
        setText(el("watchers"), t("watchers", { count: frame.watcher_count }));
        if (frame.seq > state.seq) {
          send({ type: "resync", last_seq: state.seq });
        }
        if (state.status && frame.status !== state.status) {
          window.location.reload();
        }
        break;
      case "status":
        if (frame.status !== state.status) {
          window.location.reload(); // opened, stayed, resumed or closed: the page shows the new state
        }
        break;
      case "resync":
        send({ type: "resync", last_seq: state.seq });
        break;
      case "ack":
        setText(el("feedback"), t("accepted", { amount: yuan(frame.amount_fen), seq: frame.seq }));
        el("feedback").className = "bid-feedback ok";
        break;
      case "reject":
      case "error":
        setText(el("feedback"), frame.message);
        if (el("feedback")) { el("feedback").className = "bid-feedback error"; }
        break;
    }
  }

  function send(obj) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(obj));
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/rounds/" + roundId + "/");
    socket.onopen = function () {
      retry = 0;
      setText(el("conn"), t("live"));
      el("conn").className = "live-status online";
    };
    socket.onmessage = function (message) {
      try {
        onFrame(JSON.parse(message.data));
      } catch (e) { /* a frame we cannot read is ignored; the next heartbeat resyncs */ }
    };
    socket.onclose = function () {
      setText(el("conn"), t("reconnecting"));
      el("conn").className = "live-status offline";
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random()));
    };
  }

  var form = el("bid-form");
  if (form) {
    var confirmBox = el("confirm");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var amount = parseYuan(el("amount").value);
      if (amount === null || amount <= 0) {
        setText(el("feedback"), t("invalid") || el("amount").getAttribute("title") || "?");
        return;
      }
      pending = { type: "bid", client_id: clientId(), amount_fen: amount };
      setText(el("confirm-text"), t("confirm", { amount: yuan(amount) }));
      confirmBox.hidden = false;
      el("confirm-yes").focus();
    });
    el("confirm-yes").addEventListener("click", function () {
      confirmBox.hidden = true;
      if (pending) {
        setText(el("feedback"), t("sending"));
        send(pending);
        pending = null;
      }
      el("amount").focus();
    });
    function cancel() {
      confirmBox.hidden = true;
      pending = null;
      el("amount").focus();
    }
    el("confirm-no").addEventListener("click", cancel);
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !confirmBox.hidden) {
        cancel();
      }
    });
  }

  connect();
})();
