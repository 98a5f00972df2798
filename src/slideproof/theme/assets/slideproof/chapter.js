/*
 * slideproof's chapter pages: a choice says what the chosen option means. The explanation
 * shows with styles alone; this marks the chosen option (for browsers without :has) and
 * reads the verdict and explanation out through the group's live region.
 */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-sp-choice]"), function (group) {
    var feedback = group.querySelector(".sp-choice__feedback");
    group.addEventListener("change", function (event) {
      var input = event.target;
      if (!input.classList || !input.classList.contains("sp-choice__input")) return;
      Array.prototype.forEach.call(group.querySelectorAll(".sp-choice__option"), function (option) {
        option.classList.toggle("sp-chosen", option.contains(input));
      });
      var chosen = input.closest(".sp-choice__option");
      var explanation = chosen && chosen.querySelector(".sp-choice__explanation");
      if (feedback && explanation) feedback.textContent = explanation.textContent.trim();
    });
  });
})();
