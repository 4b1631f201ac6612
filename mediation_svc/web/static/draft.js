// Live preview of the agreement while drafting: after a pause in typing, the form is posted to the
// preview endpoint (nothing is saved) and the PDF it returns is shown in the iframe.
(function () {
  var form = document.getElementById("draft-form");
  var frame = document.getElementById("preview");
  if (!form || !frame) return;
  var timer = null, url = null;
  // The saved version's preview loads after the page: a PDF viewer that never reports "loaded" must not
  // keep the page itself loading.
  window.addEventListener("load", function () {
    if (frame.dataset.src && frame.src === "about:blank") frame.src = frame.dataset.src;
  });
  function refresh() {
    var data = new FormData(form);
    fetch(form.getAttribute("action") + "/preview", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.blob() : null; })
      .then(function (blob) {
        if (!blob) return;
        if (url) URL.revokeObjectURL(url);
        url = URL.createObjectURL(blob);
        frame.src = url;
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 1200);
  });
})();
