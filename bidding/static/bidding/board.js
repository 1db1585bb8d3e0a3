// The court's live board: refresh the numbers every 5 s from /bidder/court/live.json and count the
// time left down every second in between. Numbers only; no identities ever reach this page.
(function () {
  "use strict";
  var table = document.getElementById("live-board");
  if (!table) { return; }
  var status = document.getElementById("board-status");
  var yuan = new Intl.NumberFormat("zh-CN", { style: "currency", currency: "CNY" });

  function duration(total) {
    total = Math.max(0, Math.floor(total));
    var d = Math.floor(total / 86400), h = Math.floor(total % 86400 / 3600);
    var m = Math.floor(total % 3600 / 60), s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = pad(h) + ":" + pad(m) + ":" + pad(s);
    // "{d} d {t}" in the page's language (the template's data-day-format).
    return d ? (table.dataset.dayFormat || "{d} d {t}").replace("{d}", d).replace("{t}", text) : text;
  }

  function setText(row, field, value) {
    var cell = row.querySelector('[data-field="' + field + '"]');
    if (cell && cell.textContent !== String(value)) { cell.textContent = value; }
  }

  function tick() {
    table.querySelectorAll("tbody tr[data-round]").forEach(function (row) {
      var bidding = row.dataset.status === "bidding";
      var key = bidding ? "endsIn" : "startsIn";
      var left = Math.max(0, Number(row.dataset[key]) - 1);
      row.dataset[key] = left;
      setText(row, "left", (bidding ? table.dataset.labelEnds : table.dataset.labelStarts) + " " + duration(left));
    });
  }

  function refresh() {
    fetch(table.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (body) {
        var seen = {};
        body.rounds.forEach(function (round) {
          seen[round.round] = true;
          var row = table.querySelector('tr[data-round="' + round.round + '"]');
          if (!row) { window.location.reload(); return; }  // a new round: the page lays it out
          row.dataset.status = round.status;
          row.dataset.endsIn = round.ends_in;
          row.dataset.startsIn = round.starts_in;
          setText(row, "status_label", round.status_label);
          setText(row, "price", yuan.format(round.price_fen / 100));
          ["bids", "bids_last_minute", "watchers", "registrants", "extensions"].forEach(function (f) {
            setText(row, f, round[f]);
          });
        });
        table.querySelectorAll("tbody tr[data-round]").forEach(function (row) {
          if (!seen[row.dataset.round]) { row.remove(); }
        });
        if (status) { status.textContent = ""; }
      })
      .catch(function () { if (status) { status.textContent = table.dataset.labelError; } });
  }

  setInterval(tick, 1000);
  setInterval(refresh, 5000);
}());
