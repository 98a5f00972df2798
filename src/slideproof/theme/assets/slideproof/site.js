/*
 * slideproof on every page of the site: what Material's markup leaves out for assistive
 * technology. Its search is a dialog without a name: it gets the search field's own label
 * (in the page's language).
 */
(function () {
  "use strict";
  var search = document.querySelector(".md-search[role=dialog]");
  var field = search && search.querySelector("input.md-search__input");
  if (search && field && !search.hasAttribute("aria-label") && !search.hasAttribute("aria-labelledby")) {
    var name = field.getAttribute("aria-label") || field.getAttribute("placeholder");
    if (name) search.setAttribute("aria-label", name);
  }
})();
