// Step 2, progressively: the documents of the chosen citizenship, by their names there;
// the patronymic only for citizenships that have one; the issuing country only for a
// driving licence. Without this file the server does the same on each submit.
(function () {
  "use strict";

  var citizenship = document.getElementById("citizenship");
  var types = document.getElementById("document-types");
  if (!citizenship || !types) {
    return;
  }
  var table = JSON.parse(types.getAttribute("data-document-types"));
  var fieldset = types.querySelector("fieldset");
  var patronymic = document.getElementById("patronymic-part");
  var issuer = document.getElementById("document-country-part");
  var patronymicCountries = (patronymic && patronymic.getAttribute("data-patronymic-countries") || "").split(" ");

  var chosenType = function () {
    var checked = fieldset.querySelector("input[name=document_type]:checked");
    return checked ? checked.value : "";
  };

  var showIssuer = function () {
    if (issuer) {
      issuer.hidden = chosenType() !== "driving_licence";
    }
  };

  var showTypes = function () {
    var offered = table[citizenship.value] || table["*"];
    var chosen = chosenType();
    fieldset.querySelectorAll(".check").forEach(function (old) { old.remove(); });
    offered.forEach(function (pair, index) {
      var row = document.createElement("div");
      row.className = "check";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "document_type";
      input.id = "document_type-" + index;
      input.value = pair[0];
      input.checked = pair[0] === chosen;
      input.addEventListener("change", showIssuer);
      var label = document.createElement("label");
      label.htmlFor = input.id;
      label.textContent = pair[1];
      row.appendChild(input);
      row.appendChild(label);
      fieldset.appendChild(row);
    });
    var hint = document.getElementById("document_type-hint");
    if (hint) {
      hint.hidden = citizenship.value !== "";
    }
    if (patronymic) {
      patronymic.hidden = citizenship.value !== "" && patronymicCountries.indexOf(citizenship.value) < 0;
    }
    showIssuer();
  };

  fieldset.querySelectorAll("input[name=document_type]").forEach(function (input) {
    input.addEventListener("change", showIssuer);
  });
  citizenship.addEventListener("change", showTypes);
  if (!issuer || !issuer.querySelector(".field--error")) {
    showIssuer();
  }
})();
