(function () {
  "use strict";
  var table = document.getElementById("league");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = table.tHead.rows[0].cells;
  var text = document.getElementById("filter-text");
  var item = document.getElementById("filter-item");
  var rating = document.getElementById("filter-rating");
  var status = document.getElementById("filter-status");

  function key(row, col) {
    var cell = row.cells[col];
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim().toLowerCase() : Number(value);
  }

  function sortBy(col) {
    var ascending = heads[col].getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(heads, function (th) { th.removeAttribute("aria-sort"); });
    heads[col].setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function rated(row) {
    if (!rating.value) { return true; }
    return Array.prototype.some.call(row.cells, function (cell) {
      return cell.getAttribute("data-rating") === rating.value &&
        (!item.value || cell.getAttribute("data-item") === item.value);
    });
  }

  function filter() {
    var words = text.value.trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var match = row.getAttribute("data-search").indexOf(words) !== -1 && rated(row);
      row.hidden = !match;
      shown += match ? 1 : 0;
    });
    status.textContent = "Showing " + shown + " of " + rows.length + " strategies.";
  }

  Array.prototype.forEach.call(heads, function (th, col) {
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) { button.appendChild(th.firstChild); }
    th.appendChild(button);
    button.addEventListener("click", function () { sortBy(col); });
  });
  [text, item, rating].forEach(function (control) {
    control.addEventListener("input", filter);
    control.addEventListener("change", filter);
  });
  document.getElementById("controls").hidden = false;
  filter();
}());
