// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  var lang = document.documentElement.lang === "en-XA" ? "en" : document.documentElement.lang;

  // A form with errors: move focus to the summary, which links to each field.
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) {
    summary.focus();
  }

  // Times: the server writes them in the zone the tz cookie names (else its default zone,
  // named). Tell it this browser's zone for the next pages, and rewrite the times of this
  // one that were written in another zone, as the server would have: "2 December 2026 at 12:40".
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    zone = "";
  }
  if (!/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) {
    zone = "";  // not an IANA name: the server would ignore it
  }
  if (zone && document.cookie.split("; ").indexOf("tz=" + zone) === -1) {
    document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" +
      (location.protocol === "https:" ? "; secure" : "");
  }
  var formatter = null;
  try {
    formatter = new Intl.DateTimeFormat(lang === "en" ? "en-GB" : lang,
      { dateStyle: "long", timeStyle: "short", timeZone: zone || undefined });
  } catch (error) {
    formatter = null;
  }
  var localizeTimes = function (root) {
    if (!formatter || !zone) {
      return;
    }
    root.querySelectorAll("time[data-local-time]").forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (element.getAttribute("data-local-time") !== zone && !isNaN(moment.getTime())) {
        element.textContent = formatter.format(moment);
        element.setAttribute("data-local-time", zone);
      }
    });
  };
  localizeTimes(document);

  // Password fields: a button to show what was typed, and for a new password the
  // server's own verdict on its strength, asked as the person types.
  document.querySelectorAll("input[type=password][data-show-label]").forEach(function (field) {
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "password-toggle";
    toggle.setAttribute("aria-controls", field.id);
    var showing = function (shown) {
      field.type = shown ? "text" : "password";
      toggle.setAttribute("aria-pressed", shown ? "true" : "false");
      toggle.textContent = field.getAttribute(shown ? "data-hide-label" : "data-show-label");
    };
    showing(false);
    toggle.addEventListener("click", function () {
      showing(field.type === "password");
    });
    // Never send the password shown as text: put it back before the form leaves.
    if (field.form) {
      field.form.addEventListener("submit", function () { showing(false); });
    }
    field.insertAdjacentElement("afterend", toggle);

    var url = field.getAttribute("data-strength-url");
    if (!url || !window.fetch) {
      return;
    }
    var verdict = document.createElement("p");
    verdict.className = "field__strength";
    verdict.id = field.id + "-strength";
    verdict.setAttribute("aria-live", "polite");
    toggle.insertAdjacentElement("afterend", verdict);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    field.setAttribute("aria-describedby", described.concat(verdict.id).join(" "));
    var token = field.form && field.form.querySelector("input[name=csrf_token]");
    var timer = null;
    var asked = 0;
    var ask = function () {
      var mine = ++asked;
      var body = new URLSearchParams();
      body.set("password", field.value);
      body.set("purpose", field.getAttribute("data-strength-purpose") || "");
      body.set("token", field.getAttribute("data-strength-token") || "");
      window.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
        body: body
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (answer) {
        if (!answer || mine !== asked) {
          return;  // an older answer, or none: keep what is shown
        }
        verdict.textContent = answer.message;
        verdict.className = "field__strength" + (answer.message ?
          (answer.strong ? " field__strength--good" : " field__strength--weak") : "");
      }).catch(function () { /* the form's own check still runs on submit */ });
    };
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 400);
    });
  });

  // "Send the letter again": count the cooldown down, in the page's grammar.
  var resend = document.querySelector("[data-wait]");
  var note = document.getElementById("resend-wait");
  if (resend && note) {
    var left = parseInt(resend.getAttribute("data-wait"), 10) || 0;
    var rules = new Intl.PluralRules(lang);
    var announce = document.getElementById("resend-ready");
    var show = function () {
      var template = note.getAttribute("data-plural-" + rules.select(left)) ||
        note.getAttribute("data-plural-other") || "";
      note.textContent = template.replace("{n}", String(left));
    };
    if (left > 0) {
      resend.disabled = true;
      show();
      var timer = window.setInterval(function () {
        left -= 1;
        if (left > 0) {
          show();
          return;
        }
        window.clearInterval(timer);
        resend.disabled = false;
        note.textContent = "";
        if (announce) {
          announce.textContent = announce.getAttribute("data-message");
        }
      }, 1000);
    }
  }

  // "Show another image": swap the captcha without reloading (and losing) the form.
  var newCaptcha = document.querySelector("[data-captcha-new]");
  if (newCaptcha && window.fetch) {
    newCaptcha.addEventListener("click", function (event) {
      var form = newCaptcha.form;
      var token = form.querySelector("input[name=csrf_token]");
      event.preventDefault();
      window.fetch(newCaptcha.getAttribute("data-captcha-new"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      }).then(function (challenge) {
        document.getElementById("captcha-image").src = challenge.image;
        document.getElementById("captcha-audio").href = challenge.audio;
        document.getElementById("captcha-id").value = challenge.id;
        var field = document.getElementById("captcha");
        field.value = "";
        field.focus();
        document.getElementById("captcha-announce").textContent = challenge.message;
      }).catch(function () {
        // Fall back to the plain form submit, which works without scripts.
        form.requestSubmit(newCaptcha);
      });
    });
  }

  // "Check your mail": follow the letter's delivery without reloading.
  var status = document.querySelector("[data-status-url]");
  if (status && window.fetch) {
    var polls = 0;
    var poll = window.setInterval(function () {
      polls += 1;
      window.fetch(status.getAttribute("data-status-url"), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (state) {
        if (!state) {
          return;
        }
        if (!status.classList.contains("status--" + state.state)) {
          status.innerHTML = state.html;
          status.className = "status status--" + state.state;
          localizeTimes(status);
        }
        if (state.next_url && status.hasAttribute("data-await-confirmation")) {
          window.location.assign(state.next_url);
        }
        if (state.state === "sent" && !status.hasAttribute("data-await-confirmation")) {
          window.clearInterval(poll);
        }
      }).catch(function () { /* keep the page as it is */ });
      if (polls > 120) {
        window.clearInterval(poll);
      }
    }, 3000);
  }
})();
