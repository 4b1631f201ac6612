// The signer's page: read to the end, consent, draw, then sign with a key made here in the browser.
// WebCrypto makes an ECDSA P-256 key that cannot be exported; its public half and a proof of possession go to
// the center, which answers with the CMS signed attributes; the browser signs them and the center embeds the
// signature. The private key never leaves this page and is gone when the page closes.
(function () {
  var canvas = document.getElementById("signature");
  var form = document.getElementById("sign-form");
  if (!canvas || !form) return;
  var ctx = canvas.getContext("2d");
  var drawn = false, last = null, busy = false;
  var consent = document.getElementById("consent");
  var end = document.getElementById("end-of-document");
  function $(id) { return document.getElementById(id); }
  function resize() {
    var ratio = Math.min(window.devicePixelRatio || 1, 2);
    var w = Math.min(Math.round(canvas.clientWidth * ratio), 2400), h = Math.min(Math.round(canvas.clientHeight * ratio), 1200);
    canvas.width = w; canvas.height = h;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    drawn = false;
  }
  function point(e) {
    var r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  // The consent opens once the end of the agreement has been on the screen.
  if ("IntersectionObserver" in window && end) {
    new IntersectionObserver(function (entries, observer) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        consent.disabled = false; $("scroll-hint").hidden = true; observer.disconnect();
      }
    }).observe(end);
  } else { consent.disabled = false; }
  canvas.addEventListener("pointerdown", function (e) {
    canvas.setPointerCapture(e.pointerId); last = point(e); e.preventDefault();
    $("empty-signature").hidden = true;
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!last) return;
    var p = point(e);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; drawn = true; e.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (n) { canvas.addEventListener(n, function () { last = null; }); });
  $("clear-signature").addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });

  function b64(buffer) {
    var bytes = new Uint8Array(buffer), text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }
  function unb64(text) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function post(url, fields) {
    var body = new URLSearchParams();
    body.set("csrf_token", form.querySelector("input[name=csrf_token]").value);
    Object.keys(fields).forEach(function (k) { body.set(k, fields[k]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json().then(function (j) { j.ok = r.ok; return j; }); });
  }
  function fail(message) {
    busy = false; $("signing-now").hidden = true; $("confirm").disabled = false;
    var box = $("sign-error"); box.textContent = message; box.hidden = false; box.scrollIntoView({ block: "center" });
  }
  var ecdsa = { name: "ECDSA", hash: "SHA-256" };
  function signWithKey(key, drawing, tries) {
    var proof = new TextEncoder().encode("mediation-svc key possession v1\n" + form.dataset.challenge);
    return Promise.all([crypto.subtle.exportKey("spki", key.publicKey), crypto.subtle.sign(ecdsa, key.privateKey, proof)])
      .then(function (parts) {
        return post("/sign/session/prepare", { consent: "1", drawing: drawing, public_key: b64(parts[0]), possession: b64(parts[1]) });
      })
      .then(function (prepared) {
        if (!prepared.ok) throw prepared;
        return crypto.subtle.sign(ecdsa, key.privateKey, unb64(prepared.attributes));
      })
      .then(function (signature) { return post("/sign/session/finish", { signature: b64(signature) }); })
      .then(function (done) {
        if (done.ok) { window.location.assign(done.next); return; }
        // another signer's signature landed first: prepare again on the new revision, with the same key
        if (done.retry && tries < 3) return signWithKey(key, drawing, tries + 1);
        throw done;
      });
  }
  form.addEventListener("submit", function (e) {
    var secure = window.isSecureContext && window.crypto && window.crypto.subtle;
    if (!drawn) { e.preventDefault(); $("empty-signature").hidden = false; return; }
    $("drawing").value = canvas.toDataURL("image/png");
    if (!secure) {
      if (form.dataset.fallbackConsent && form.dataset.fallbackShown) return;  // on site, consent given again
      e.preventDefault();
      if (form.dataset.fallbackConsent) {
        // on site only: the center's system makes a one-time key; the signer reads that consent and ticks again
        $("consent-text").textContent = form.dataset.fallbackConsent; consent.checked = false;
        form.dataset.fallbackShown = "1";
        var note = $("no-webcrypto"); note.textContent = form.dataset.fallbackNote; note.hidden = false;
      } else {
        $("no-webcrypto").hidden = false;  // elsewhere the page says what to do instead
      }
      return;
    }
    e.preventDefault();
    if (busy) return;
    busy = true; $("confirm").disabled = true; $("signing-now").hidden = false; $("sign-error").hidden = true;
    crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"])
      .then(function (key) { return signWithKey(key, $("drawing").value, 0); })
      .catch(function (problem) { fail(problem && problem.ok === false && problem.message ? problem.message : form.dataset.failed); });
  });
  resize();
})();
