// Draw a signature with a finger, a pen or the mouse; on submit it travels as a PNG data URL.
(function () {
  var canvas = document.getElementById("signature");
  var form = document.getElementById("sign-form");
  if (!canvas || !form) return;
  var ctx = canvas.getContext("2d");
  var drawn = false, last = null;
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
  canvas.addEventListener("pointerdown", function (e) {
    canvas.setPointerCapture(e.pointerId); last = point(e); e.preventDefault();
    document.getElementById("empty-signature").hidden = true;
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!last) return;
    var p = point(e);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p; drawn = true; e.preventDefault();
  });
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (n) { canvas.addEventListener(n, function () { last = null; }); });
  document.getElementById("clear-signature").addEventListener("click", function () { ctx.clearRect(0, 0, canvas.width, canvas.height); drawn = false; });
  form.addEventListener("submit", function (e) {
    if (!drawn) { e.preventDefault(); document.getElementById("empty-signature").hidden = false; return; }
    document.getElementById("drawing").value = canvas.toDataURL("image/png");
  });
  resize();
})();
