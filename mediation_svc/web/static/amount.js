// Amounts read as the person types them. Every <input data-amount> gets the server's reading of what was
// typed beside it ("已识别为 ¥86,500.00", or what to type instead), from /amounts/read: the rule itself lives
// only on the server (amounts.parse_amount), so what is shown is what will be stored.
(function () {
  function echoFor(input) {
    var id = input.getAttribute("data-amount");
    var echo = id && document.getElementById(id);
    if (!echo) {
      echo = document.createElement("p");
      echo.id = id || ("parsed-" + input.id);
      echo.className = "parsed";
      echo.hidden = true;
      input.insertAdjacentElement("afterend", echo);
    }
    echo.setAttribute("aria-live", "polite");
    return echo;
  }
  function watch(input) {
    var echo = echoFor(input), timer = null, asked = 0;
    function ask() {
      var text = input.value, mine = ++asked;
      if (!text.trim()) { echo.hidden = true; echo.textContent = ""; return; }
      fetch("/amounts/read?text=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer || mine !== asked) return; // an older answer arriving late is not shown
          echo.textContent = answer.shown;
          echo.className = answer.ok ? "parsed" : "parsed field-error";
          echo.hidden = !answer.shown;
          input.setAttribute("aria-invalid", answer.ok ? "false" : "true");
        })
        .catch(function () {});
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
    input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + echo.id).trim());
  }
  var inputs = document.querySelectorAll("input[data-amount]");
  for (var i = 0; i < inputs.length; i++) watch(inputs[i]);
})();
