/* Staff training: checks answers, keeps progress and makes the completion record.
 *
 * No framework and no other origin. It reads the data embedded in the page (the
 * same fields as checklist.json, plus a "page" object) and keeps progress in
 * localStorage. The answer keys are not in the page: a chosen set of choices is
 * checked against the salted SHA-256 published for its question.
 */
(function () {
  "use strict";

  // ---- SHA-256 (synchronous, so it also works where crypto.subtle does not) ----
  var K = [], H0 = [];
  (function () {
    for (var n = 2, c = 0; c < 64; n++) {
      for (var f = 2; f * f <= n && n % f; f++);
      if (f * f > n) {
        if (c < 8) H0[c] = (Math.pow(n, 1 / 2) * 4294967296) | 0;
        K[c++] = (Math.pow(n, 1 / 3) * 4294967296) | 0;
      }
    }
  })();
  function ror(x, n) { return (x >>> n) | (x << (32 - n)); }
  function sha256(text) {
    var s = unescape(encodeURIComponent(text)), l = s.length, m = [], w = [], i, j;
    for (i = 0; i < l; i++) m[i >> 2] |= s.charCodeAt(i) << (24 - (i % 4) * 8);
    m[l >> 2] |= 0x80 << (24 - (l % 4) * 8);
    var nw = (((l + 8) >> 6) << 4) + 16;
    for (i = 0; i < nw; i++) m[i] |= 0;
    m[nw - 1] = l * 8;
    var h = H0.slice();
    for (i = 0; i < nw; i += 16) {
      var a = h.slice();
      for (j = 0; j < 64; j++) {
        if (j < 16) w[j] = m[i + j];
        else {
          var x = w[j - 15], y = w[j - 2];
          w[j] = (w[j - 16] + (ror(x, 7) ^ ror(x, 18) ^ (x >>> 3)) + w[j - 7] +
                  (ror(y, 17) ^ ror(y, 19) ^ (y >>> 10))) | 0;
        }
        var e = a[4], b = a[0];
        var t1 = (a[7] + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & a[5]) ^ (~e & a[6])) + K[j] + w[j]) | 0;
        var t2 = ((ror(b, 2) ^ ror(b, 13) ^ ror(b, 22)) + ((b & a[1]) ^ (b & a[2]) ^ (a[1] & a[2]))) | 0;
        a = [(t1 + t2) | 0].concat(a.slice(0, 7));
        a[4] = (a[4] + t1) | 0;
      }
      for (j = 0; j < 8; j++) h[j] = (h[j] + a[j]) | 0;
    }
    return h.map(function (v) { return ("0000000" + (v >>> 0).toString(16)).slice(-8); }).join("");
  }

  // ---- data and stored progress ----
  var el = document.getElementById("training-data");
  if (!el) return;
  var D = JSON.parse(el.textContent), P = D.page;
  var KEY = P.storage_prefix + D.version + ":" + D.training_hash;
  var Q = {}, ITEM = {};
  D.questions.forEach(function (q) { Q[q.id] = q; });
  D.items.forEach(function (it) { ITEM[it.id] = it; });

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function esc(t) {
    return String(t).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  function read(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function fresh() {
    return { items: {}, answers: {}, changed: {}, result: null };
  }

  // A new version or new training: carry over what is unchanged from the latest earlier
  // progress of this checklist, and reset items whose clauses or training changed.
  function carryOver() {
    var old = null, i, k, s;
    try {
      for (i = 0; i < localStorage.length; i++) {
        k = localStorage.key(i);
        if (k.indexOf(P.storage_prefix) !== 0 || k === KEY) continue;
        s = read(k);
        if (s && s.clause_sha && (!old || s.saved_at > old.saved_at)) old = s;
      }
    } catch (e) { return null; }
    if (!old) return null;
    var st = fresh();
    D.items.forEach(function (it) {
      var was = it.kind === "quiz"
        ? it.questions.every(function (q) { return !!old.answers[q]; }) : !!old.items[it.id];
      if (!was) return;
      var clauses = it.clauses.filter(function (c) { return old.clause_sha[c] !== D.clause_text_sha256[c]; });
      if (clauses.length) {
        st.changed[it.id] = clauses.map(function (c) {
          var vs = (P.changed_in[c] || []).filter(function (n) { return n > old.version; });
          return [c, vs.length ? vs : [D.version]];
        });
      } else if ((old.item_hash || {})[it.id] !== P.item_hash[it.id]) {
        st.changed[it.id] = "training";
      } else {
        st.items[it.id] = true;
        (it.questions || []).forEach(function (q) { if (old.answers[q]) st.answers[q] = old.answers[q]; });
      }
    });
    return st;
  }

  var S = read(KEY) || carryOver() || fresh();

  function save() {
    S.saved_at = Date.now();
    S.version = D.version;
    S.clause_sha = D.clause_text_sha256;
    S.item_hash = P.item_hash;
    try { localStorage.setItem(KEY, JSON.stringify(S)); } catch (e) { /* private mode: still works for this visit */ }
  }

  function correct(qid) {
    var q = Q[qid], a = S.answers[qid];
    return !!a && sha256(q.salt + ":" + qid + ":" + a.slice().sort().join(",")) === q.answer_hash;
  }
  function itemDone(it) {
    if (it.kind === "quiz") return it.questions.every(function (q) { return !!S.answers[q]; });
    return !!S.items[it.id];
  }
  function score() {
    var n = D.questions.length, right = D.questions.filter(function (q) { return correct(q.id); }).length;
    return n ? Math.floor(right * 100 / n) : 100;
  }
  function announce(text) { $("#training-live").textContent = text; }

  // ---- showing the state ----
  function showQuestion(fs) {
    var qid = fs.getAttribute("data-question"), a = S.answers[qid], fb = $("[data-feedback]", fs);
    var locked = !!a || !!S.result;
    $$("input", fs).forEach(function (inp) {
      if (a) inp.checked = a.indexOf(inp.value) >= 0;
      inp.disabled = locked;
    });
    $("[data-check]", fs).disabled = locked;
    if (!a) { fb.innerHTML = ""; fs.classList.remove("is-right", "is-wrong"); return; }
    var ok = correct(qid);
    fs.classList.toggle("is-right", ok);
    fs.classList.toggle("is-wrong", !ok);
    fb.innerHTML = '<p class="training-verdict"><span aria-hidden="true">' + (ok ? "✓" : "✗") + "</span> " +
      (ok ? "Correct." : "Not correct.") + "</p>" + $("[data-explanation]", fs).innerHTML;
  }

  function showItem(box) {
    var it = ITEM[box.getAttribute("data-item")], done = itemDone(it), ch = S.changed[it.id];
    var status = $("[data-status]", box), note = $("[data-changed]", box), conf = $("[data-confirm]", box);
    status.textContent = done ? "✓ Done" : "Not done yet";
    box.classList.toggle("is-done", done);
    if (conf) { conf.checked = !!S.items[it.id]; conf.disabled = !!S.result; }
    if (ch) {
      note.hidden = false;
      note.innerHTML = ch === "training"
        ? "<p><strong>Changed since you last completed:</strong> the training for this item was updated. Please do it again.</p>"
        : "<p><strong>Changed since you last completed:</strong> " + ch.map(function (pair) {
            return esc(P.clause_titles[pair[0]]) + " (" + pair[1].map(function (n) {
              var u = P.changes_url[n];
              return u ? '<a href="' + esc(u) + "#change-" + esc(pair[0]) + '">what changed in version ' + n + "</a>" : "version " + n;
            }).join(", ") + ")";
          }).join("; ") + ". Please do this item again.</p>";
    } else note.hidden = true;
    $$("[data-question]", box).forEach(showQuestion);
  }

  function showProgress() {
    var n = D.items.filter(itemDone).length;
    $("#training-progress-text").textContent = n + " of " + D.items.length + " items done" +
      (n === D.items.length ? ". Now finish below." : ".");
    $("#training-progress-bar").value = n;
  }

  function showAll() {
    $$("[data-item]").forEach(showItem);
    showProgress();
    if (S.result) showCertificate(S.result);
  }

  // ---- the result ----
  function fmtDate(iso) {
    var p = iso.split("-");
    return +p[2] + " " + ["January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December"][p[1] - 1] + " " + p[0];
  }
  function completionCode(r) {
    var h = sha256([D.checklist, D.policy, D.version, D.effective_date || "", D.training_hash,
      r.name, r.score, r.completed_at].join("|")).slice(0, 16).toUpperCase();
    return h.match(/.{4}/g).join("-");
  }

  function showCertificate(r) {
    var when = new Date(r.completed_at);
    var out = $("#training-outcome");
    out.innerHTML = '<div class="training-certificate" id="training-certificate">' +
      "<h3>Training completed</h3>" +
      "<p><strong>Passed.</strong> This is your completion record; print it or save it as a PDF.</p><dl>" +
      "<dt>Name</dt><dd>" + esc(r.name) + "</dd>" +
      "<dt>Checklist</dt><dd>" + esc(D.title) + "</dd>" +
      "<dt>Policy</dt><dd>" + esc(P.policy_title) + ", " + (P.draft ? "draft of version " + D.version + " (not published)" :
        "version " + D.version + (D.effective_date ? ", effective " + fmtDate(D.effective_date) : "")) + "</dd>" +
      "<dt>Score</dt><dd>" + r.score + "% (pass mark " + D.pass_mark + "%)</dd>" +
      '<dt>Completed</dt><dd><time datetime="' + esc(r.completed_at) + '">' + esc(when.toLocaleString()) + "</time></dd>" +
      '<dt>Completion code</dt><dd><code class="training-code">' + esc(r.code) + "</code></dd></dl>" +
      '<p><button type="button" class="md-button" data-print>Print this record</button></p></div>';
    $("#training-name").value = r.name;
    $("#training-name").disabled = true;
    $("#training-finish").hidden = true;
  }

  function revisitList(ids, what) {
    return "<ul>" + ids.map(function (id) {
      return '<li><a href="#' + what(id)[0] + '">' + esc(what(id)[1]) + "</a></li>";
    }).join("") + "</ul>";
  }

  function finish() {
    var nameBox = $("#training-name"), out = $("#training-outcome");
    var name = nameBox.value.replace(/\s+/g, " ").trim();
    var todo = D.items.filter(function (it) { return !itemDone(it); });
    if (todo.length) {
      out.innerHTML = "<p><strong>Not finished yet.</strong> Please do these items first:</p>" +
        revisitList(todo.map(function (it) { return it.id; }), function (id) { return ["item-" + id, P.item_titles[id]]; });
      out.focus();
      return;
    }
    if (!name) {
      nameBox.setAttribute("aria-invalid", "true");
      out.innerHTML = "<p><strong>Please type your full name</strong> for your completion record.</p>";
      nameBox.focus();
      return;
    }
    nameBox.removeAttribute("aria-invalid");
    var sc = score();
    if (sc < D.pass_mark) {
      var wrong = D.questions.filter(function (q) { return !correct(q.id); }).map(function (q) { return q.id; });
      out.innerHTML = "<p><strong>Not passed.</strong> Your score is " + sc + "%; the pass mark is " + D.pass_mark +
        "%. Read these again, then try the questions once more:</p>" +
        revisitList(wrong, function (id) {
          var item = D.items.filter(function (it) { return (it.questions || []).indexOf(id) >= 0; })[0];
          return ["q-" + id, P.item_titles[item.id] + ": question " + (D.questions.indexOf(Q[id]) + 1)];
        }) + '<p><button type="button" class="md-button" data-retry>Try the wrong answers again</button></p>';
      out.focus();
      return;
    }
    var r = { name: name, score: sc, completed_at: new Date().toISOString().replace(/\.\d+Z$/, "Z") };
    r.code = completionCode(r);
    S.result = r;
    save();
    showAll();
    out.focus();
    submitCompletion({
      checklist: D.checklist, policy: D.policy, version: D.version, training_hash: D.training_hash,
      name: r.name, score: r.score, completed_at: r.completed_at, code: r.code, answers: S.answers,
      items: D.items.filter(itemDone).map(function (it) { return it.id; })
    });
  }

  // ---- Records service (issue 7) >>> ---------------------------------------------------------
  // Served by `policy records serve`, a passed completion is POSTed to /api/completions and
  // the record id shown. Until the service acknowledges it, the submission is kept in
  // localStorage and sent again: on every visit, when the browser is back online, and with
  // backoff while the page stays open. A static host has no /api/health: nothing is sent.
  var R = { on: false, wait: 2000, timer: 0, Q: "policy-records:pending", DONE: "policy-records:done:" + KEY };
  function rStore(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* kept for this visit only */ } }
  function rSay(html) {
    var b = $("#training-record");
    if (!b) {
      b = document.createElement("div");
      b.id = "training-record";
      b.className = "training-record";
      b.setAttribute("role", "status");
      $("#training-outcome").insertAdjacentElement("afterend", b);
    }
    b.innerHTML = html;
  }
  function rShow(rec) {
    rSay(rec.passed ? "<p><strong>Recorded.</strong> Your completion record id is <code>" + esc(rec.id) + "</code>.</p>"
      : "<p><strong>Not recorded as passed:</strong> the records service scored " + rec.score + "%.</p>");
  }
  function rSend() {
    clearTimeout(R.timer);
    var q = read(R.Q) || [], body = q[0];
    if (!body) return;
    var later = function () {
      rSay("<p><strong>Not recorded yet:</strong> the records service cannot be reached. Your completion is kept " +
        "in this browser and sent again automatically.</p>");
      R.timer = setTimeout(rSend, R.wait);
      R.wait = Math.min(R.wait * 2, 30000);
    };
    fetch("/api/completions", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (j) { return [res.status, j]; });
      }).then(function (a) {
        var st = a[0], j = a[1], mine = body.key === KEY;
        if (st !== 200 && st !== 201 && [400, 409, 413, 422].indexOf(st) < 0) return later();
        rStore(R.Q, (read(R.Q) || []).filter(function (b) { return b.submission_id !== body.submission_id; }));
        R.wait = 2000;
        if (st < 300) { rStore("policy-records:done:" + body.key, j); if (mine) rShow(j); }
        else if (mine) rSay("<p><strong>Not recorded:</strong> " + esc(j.message) + "</p>");
        rSend();
      }, later);
  }
  function submitCompletion(record) {
    if (!R.on) return record;
    var email = $("#training-email");
    var q = read(R.Q) || [];
    q.push({ checklist: record.checklist, version: record.version, training_hash: record.training_hash,
      name: record.name, email: email ? email.value.trim() : "", answers: record.answers,
      acknowledged: record.items.filter(function (id) { return ITEM[id].kind === "acknowledge"; }),
      submission_id: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2), key: KEY });
    if (email) email.disabled = true;
    rStore(R.Q, q);
    rSay("<p>Recording your completion…</p>");
    rSend();
    return record;
  }
  // Behind a sign-in proxy the service knows who this is; otherwise it needs a work email.
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("#training-finish"), box = $("#training-email");
    if (!t || !box || !D.items.every(itemDone) || /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(box.value.trim())) return;
    ev.stopPropagation();
    box.setAttribute("aria-invalid", "true");
    $("#training-outcome").innerHTML = "<p><strong>Please type your work email</strong> for your completion record.</p>";
    box.focus();
  }, true);
  window.addEventListener("online", rSend);
  (function rInit() {
    if (!/^https?:$/.test(location.protocol)) return; // a page opened from disk has no service
    fetch("/api/health").then(function (res) { return res.json(); }).then(function (h) {
      if (!h || !h.records) return;
      R.on = true;
      var done = read(R.DONE), name = $(".training-name");
      if (h.identity === "typed" && name && !S.result) {
        name.insertAdjacentHTML("afterend", '<p class="training-name"><label for="training-email">Your work email, ' +
          'for your completion record</label><br><input type="email" id="training-email" autocomplete="email" maxlength="254"></p>');
      }
      if (done && S.result) rShow(done);
      rSend();
    }, function (e) {
      if (e instanceof TypeError) setTimeout(rInit, 5000); // offline now; not a static host
    });
  })();
  // <<< Records service (issue 7) --------------------------------------------------------------

  function retry() {
    var first = null;
    D.questions.forEach(function (q) {
      if (!correct(q.id)) { delete S.answers[q.id]; first = first || q.id; }
    });
    save();
    showAll();
    $("#training-outcome").innerHTML = "";
    var inp = first && $("#q-" + first + " input");
    if (inp) inp.focus();
    announce("Your wrong answers were cleared. Answer those questions again, then finish.");
  }

  function check(fs) {
    var qid = fs.getAttribute("data-question");
    var chosen = $$("input", fs).filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    var fb = $("[data-feedback]", fs);
    if (!chosen.length) {
      fb.innerHTML = "<p><strong>Choose an answer first.</strong></p>";
      $("input", fs).focus();
      return;
    }
    S.answers[qid] = chosen;
    save();
    showAll();
    fb.focus();
  }

  // ---- events ----
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("button");
    if (!t) return;
    if (t.hasAttribute("data-check")) check(t.closest("[data-question]"));
    else if (t.id === "training-finish") finish();
    else if (t.hasAttribute("data-retry")) retry();
    else if (t.hasAttribute("data-print")) {
      document.body.classList.add("training-print");
      window.print();
    }
  });
  window.addEventListener("afterprint", function () { document.body.classList.remove("training-print"); });
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t.hasAttribute || !t.hasAttribute("data-confirm")) return;
    var id = t.closest("[data-item]").getAttribute("data-item");
    if (t.checked) S.items[id] = true; else delete S.items[id];
    save();
    showAll();
    announce(P.item_titles[id] + (t.checked ? ": done." : ": not done."));
  });

  $$("[data-js]").forEach(function (n) { n.hidden = false; });
  $$("[data-nojs]").forEach(function (n) { n.hidden = true; });
  document.documentElement.classList.add("training-js");
  showAll();
})();
