// Plan choice page: say when the chosen option needs a written clinical reason.
(function () {
  "use strict";
  var form = document.querySelector(".plan-choose");
  if (!form) { return; }
  var refer = form.dataset.refer === "1";
  function update(fieldset) {
    var chosen = fieldset.querySelector("input[type=radio]:checked");
    var status = chosen ? chosen.dataset.status : "none";
    var needs = status !== "none" && (refer || fieldset.dataset.hdss1 === "1" ||
      (status !== "ok" && status !== "caution"));
    fieldset.querySelectorAll(".option-choice").forEach(function (row) {
      row.classList.toggle("needs-reason-chosen", needs && row.contains(chosen));
    });
    var hint = fieldset.querySelector(".reason-hint");
    var box = fieldset.querySelector("textarea");
    if (hint) { hint.classList.toggle("d-none", !needs); }
    if (box) { box.toggleAttribute("required", needs); box.setAttribute("aria-required", needs ? "true" : "false"); }
  }
  form.querySelectorAll("fieldset.area-choice").forEach(function (fieldset) {
    update(fieldset);
    fieldset.addEventListener("change", function () { update(fieldset); });
  });
}());
