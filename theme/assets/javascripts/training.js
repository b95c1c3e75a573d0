/* Staff training: checks answers, keeps progress and makes the completion record.
 *
 * No framework and no other origin. It reads the data embedded in the page (the
 * same fields as checklist.json, plus a "page" object with the wording) and keeps
 * progress in localStorage. The answer keys are not in the page: on a static host a
 * chosen set of choices is checked against the salted SHA-256 published for its question;
 * served by the records service ("check": "server"), the page has no hashes and no
 * explanations, and asks the service to check each answer.
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
  var Q = {}, ITEM = {}, SERVER = D.check === "server";
  D.questions.forEach(function (q) { Q[q.id] = q; });
  D.items.forEach(function (it) { ITEM[it.id] = it; });

  function $(sel, root) { return (root || document).querySelector(sel); }
  // A question of another policy is "policy#id"; in an element id and a link, "policy_id".
  function domId(qid) { return qid.replace("#", "_"); }
  function $$(sel, root) { return [].slice.call((root || document).querySelectorAll(sel)); }
  function esc(t) {
    return String(t).replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
  }
  // The wording lives in the page data (P.text): "{name}" is replaced by vars.name, escaped
  // unless the key ends in "_html".
  function T(key, vars) {
    return P.text[key].replace(/\{(\w+)\}/g, function (_, k) { return /_html$/.test(k) ? vars[k] : esc(vars[k]); });
  }
  // Runs of white space (line separators too) as one space, invisible controls and formatting
  // characters (a pasted bidi isolate, a zero-width space) dropped: the records service refuses
  // those in a name or email.
  function visible(t) {
    return t.replace(/[\0-\x08\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, "")
      .replace(/\s+/g, " ").trim();
  }
  function read(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (e) { return null; }
  }

  function fresh() {
    return { items: {}, answers: {}, verdicts: {}, changed: {}, result: null };
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
        (it.questions || []).forEach(function (q) {
          if (old.answers[q]) st.answers[q] = old.answers[q];
          if ((old.verdicts || {})[q]) st.verdicts[q] = old.verdicts[q];
        });
      }
    });
    return st;
  }

  var S = read(KEY) || carryOver() || fresh();
  S.verdicts = S.verdicts || {};
  // Checked by the service, an answer counts only with the service's verdict: one chosen
  // before (on a static host, or cut off on its way) is asked again.
  if (SERVER && !S.result) {
    Object.keys(S.answers).forEach(function (q) { if (!S.verdicts[q]) delete S.answers[q]; });
  }

  function save() {
    S.saved_at = Date.now();
    S.version = D.version;
    S.clause_sha = D.clause_text_sha256;
    S.item_hash = P.item_hash;
    try { localStorage.setItem(KEY, JSON.stringify(S)); } catch (e) { /* private mode: still works for this visit */ }
  }

  function correct(qid) {
    var q = Q[qid], a = S.answers[qid];
    if (SERVER) return !!a && !!S.verdicts[qid] && S.verdicts[qid].ok;
    return !!a && sha256(q.salt + ":" + qid + ":" + a.slice().sort().join(",")) === q.answer_hash;
  }
  function explanation(qid, fs) {
    return SERVER ? (S.verdicts[qid] || {}).html || "" : $("[data-explanation]", fs).innerHTML;
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
  var OUT = $("#training-outcome"), NAME = $("#training-name");

  // ---- showing the state ----
  function showQuestion(fs) {
    var qid = fs.getAttribute("data-question"), a = S.answers[qid], fb = $("[data-feedback]", fs);
    var locked = !!a || !!S.result, ok = correct(qid);
    $$("input", fs).forEach(function (inp) {
      if (a) inp.checked = a.indexOf(inp.value) >= 0;
      inp.disabled = locked;
    });
    $("[data-check]", fs).disabled = locked;
    fs.classList.toggle("is-right", !!a && ok);
    fs.classList.toggle("is-wrong", !!a && !ok);
    // The feedback is a live region: rewriting it unchanged would have a screen reader read
    // every earlier verdict again each time any answer is checked.
    var shown = a ? (ok ? "right_html" : "wrong_html") : "";
    if (fb.getAttribute("data-shown") === shown) return;
    fb.setAttribute("data-shown", shown);
    fb.innerHTML = shown ? P.text[shown] + explanation(qid, fs) : "";
  }

  function showItem(box) {
    var it = ITEM[box.getAttribute("data-item")], done = itemDone(it), ch = S.changed[it.id];
    var note = $("[data-changed]", box), conf = $("[data-confirm]", box);
    $("[data-status]", box).textContent = P.text[done ? "done" : "todo"];
    box.classList.toggle("is-done", done);
    if (conf) { conf.checked = !!S.items[it.id]; conf.disabled = !!S.result; }
    note.hidden = !ch;
    if (ch === "training") note.innerHTML = P.text.changed_training_html;
    else if (ch) {
      note.innerHTML = T("changed_html", { clauses_html: ch.map(function (pair) {
        return esc(P.clause_titles[pair[0]]) + " (" + pair[1].map(function (n) {
          var u = P.changes_url[n];
          return u ? '<a href="' + esc(u) + "#change-" + esc(pair[0]) + '">' + T("changed_in", { n: n }) + "</a>" : n;
        }).join(", ") + ")";
      }).join("; ") });
    }
    $$("[data-question]", box).forEach(showQuestion);
  }

  function showAll() {
    var n = D.items.filter(itemDone).length;
    $$("[data-item]").forEach(showItem);
    $("#training-progress-text").textContent = T(n === D.items.length ? "progress_all" : "progress",
      { n: n, total: D.items.length });
    $("#training-progress-bar").value = n;
    if (S.result) showCertificate(S.result);
  }

  // ---- the result ----
  function completionCode(r) {
    var h = sha256([D.checklist, D.policy, D.version, D.effective_date || "", D.training_hash,
      r.name, r.score, r.completed_at].join("|")).slice(0, 16).toUpperCase();
    return h.match(/.{4}/g).join("-");
  }

  // "2 December 2026, 14:08 NZDT": the date written out and the zone named, in the policy's
  // language and the site's zone, so that no reader takes 12/2 for 12 February. The month's
  // name comes with the page (P.months, from the catalogue's language): a browser that lacks
  // the language would name it in its own.
  function writtenOut(iso) {
    try {
      var f = new Intl.DateTimeFormat(P.language || undefined, { day: "numeric", month: "numeric", year: "numeric",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: P.timezone || undefined,
        timeZoneName: "short", numberingSystem: "latn" });
      var p = {};
      f.formatToParts(new Date(iso)).forEach(function (x) { p[x.type] = x.value; });
      var month = P.months[parseInt(p.month, 10) - 1];
      if (!month) return iso;
      return p.day + " " + month + " " + p.year + ", " + p.hour + ":" + p.minute + " " + p.timeZoneName;
    } catch (e) {
      return iso; // an unknown zone or language: the exact time, unambiguous
    }
  }

  function showCertificate(r) {
    var v = { name: r.name, score: r.score, code: r.code };
    OUT.innerHTML = $("#training-certificate-template").innerHTML;
    $$("[data-f]", OUT).forEach(function (n) {
      var f = n.getAttribute("data-f");
      if (f !== "when") { n.textContent = v[f]; return; }
      var t = document.createElement("time");
      t.setAttribute("datetime", r.completed_at);
      t.textContent = writtenOut(r.completed_at);
      n.appendChild(t);
    });
    NAME.value = r.name;
    NAME.disabled = true;
    $("#training-finish").hidden = true;
  }

  function links(list) { // [anchor, label already as HTML]
    return "<ul>" + list.map(function (p) { return '<li><a href="#' + p[0] + '">' + p[1] + "</a></li>"; }).join("") + "</ul>";
  }

  function finish() {
    var nameBox = NAME, out = OUT, name = visible(NAME.value);
    var todo = D.items.filter(function (it) { return !itemDone(it); });
    if (todo.length) {
      out.innerHTML = T("not_finished_html", { list_html: links(todo.map(function (it) {
        return ["item-" + it.id, esc(P.item_titles[it.id])];
      })) });
      return out.focus();
    }
    if (!name) {
      nameBox.setAttribute("aria-invalid", "true");
      out.innerHTML = P.text.name_missing_html;
      return nameBox.focus();
    }
    nameBox.removeAttribute("aria-invalid");
    var sc = score();
    if (sc < D.pass_mark) {
      out.innerHTML = T("failed_html", { score: sc, pass_mark: D.pass_mark, list_html: links(D.questions.filter(function (q) {
        return !correct(q.id);
      }).map(function (q) {
        return ["q-" + domId(q.id), T("question_link", { item: P.item_titles[P.question_item[q.id]], n: D.questions.indexOf(q) + 1 })];
      })) });
      return out.focus();
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
  // Served by `policy records serve`, a passed completion is POSTed to api/completions (under the
  // site's own path, never the domain root: P.api is relative to this page) and
  // the record id shown. Until the service acknowledges it, the submission is kept in
  // localStorage and sent again: on every visit, when the browser is back online, and with
  // backoff while the page stays open. On a static host api/health is the site's own file,
  // which says there is no records service: nothing is sent.
  var API = new URL(P.api, location.href).href;
  var R = { on: false, wait: 2000, timer: 0, Q: "policy-records:pending" };
  // POST JSON to the records service: [response, its JSON body or {} when it sent none].
  function post(path, body) {
    return fetch(API + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (j) { return [res, j || {}]; }, function () { return [res, {}]; });
      });
  }
  function rStore(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* kept for this visit only */ } }
  function rSay(html) {
    if (!$("#training-record")) {
      $("#training-outcome").insertAdjacentHTML("afterend", '<div id="training-record" class="training-record" role="status"></div>');
    }
    $("#training-record").innerHTML = html;
  }
  // What the service itself says is in its own words, which are English.
  function said(message) { return '<span lang="en">' + esc(message) + "</span>"; }
  function rShow(rec) {
    if (!rec.id) { // someone with this email passed before: the service says only when
      return rSay(T("already_html", { date: rec.recorded_on || "" }));
    }
    rSay(rec.passed ? T("recorded_html", { id_html: "<code>" + esc(rec.id) + "</code>" })
      : T("not_passed_html", { score: rec.score }));
    var dl = $("#training-certificate dl"); // so the printed record carries the id too
    if (rec.passed && dl && !$("[data-record-id]", dl)) {
      dl.insertAdjacentHTML("beforeend", "<dt>" + esc(P.text.record_id) + "</dt><dd data-record-id><code>" +
        esc(rec.id) + "</code></dd>");
    }
  }
  // A submission leaves the queue only on a success, or on an answer the service marks final
  // (this very submission can never be accepted: a field it refuses, a changed training).
  // Anything else (no answer, 5xx, 429, a 404 or 401 from a proxy) keeps it queued and sent again.
  function rSend() {
    clearTimeout(R.timer);
    var q = read(R.Q) || [], body = q[0];
    if (!body) return;
    var mine = body.key === KEY;
    var later = function (whyHtml, after) {
      if (mine) rSay(T("later_html", { why_html: whyHtml }));
      R.timer = setTimeout(rSend, Math.max(R.wait, (after || 0) * 1000));
      R.wait = Math.min(R.wait * 2, 30000);
    };
    var drop = function () {
      rStore(R.Q, (read(R.Q) || []).filter(function (b) { return b.submission_id !== body.submission_id; }));
      R.wait = 2000;
    };
    post("completions", body).then(function (a) {
        var res = a[0], st = res.status, j = a[1];
        if (st >= 200 && st < 300) {
          drop();
          rStore("policy-records:done:" + body.key, j);
          if (mine) rShow(j);
        } else if (j.final) {
          drop();
          if (mine) rSay(T("refused_html", { why_html: said(j.message || "HTTP " + st) }));
        } else if (st === 401 && j.login) { // signed out, or the sign-in expired: it waits for one
          return later(said(j.message + ".") + " " + signInLink() + ".", 0);
        } else {
          return later(st === 429 ? esc(P.text.busy)
            : T("down_html", { why_html: said(j.message || "HTTP " + st) }),
            parseInt(res.headers.get("Retry-After"), 10) || 0);
        }
        rSend();
      }, function () { later(esc(P.text.unreachable)); });
  }
  function submitCompletion(record) {
    if (!R.on) return record;
    var email = $("#training-email");
    var q = read(R.Q) || [];
    q.push({ checklist: record.checklist, version: record.version, training_hash: record.training_hash,
      name: record.name, email: email ? visible(email.value) : "", answers: record.answers,
      quiz_checked: SERVER ? "server" : "page",
      acknowledged: record.items.filter(function (id) { return ITEM[id].kind === "acknowledge"; }),
      submission_id: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2), key: KEY });
    if (email) email.disabled = true;
    rStore(R.Q, q);
    rSay("<p>" + esc(P.text.recording) + "</p>");
    rSend();
    return record;
  }
  function signInLink() {
    return '<a href="' + esc(API + "login?next=" + encodeURIComponent(location.pathname)) +
      '">' + esc(P.text.sign_in) + "</a>";
  }
  // With sign-in (OpenID Connect) the service says who is signed in, or offers to sign in.
  function rSignedIn(h) {
    var name = $(".training-name");
    if (!name || $("#training-signin")) return;
    name.insertAdjacentHTML("afterend", '<p class="training-name" id="training-signin">' + (h.signed_in
      ? T("signed_in_html", { email: h.email }) : T("sign_in_to_html", { link_html: signInLink() })) + "</p>");
  }
  // Behind a sign-in proxy the service knows who this is; otherwise it needs a work email.
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("#training-finish"), box = $("#training-email");
    // The service's own test (app.EMAIL): an address it refuses is final, and the record lost.
    if (!t || !box || !D.items.every(itemDone) || /^[^@\s,;<>"]+@[^@\s,;<>"]+\.[^@\s,;<>"]+$/.test(visible(box.value))) return;
    ev.stopPropagation();
    box.setAttribute("aria-invalid", "true");
    $("#training-outcome").innerHTML = P.text.email_missing_html;
    box.focus();
  }, true);
  window.addEventListener("online", rSend);
  (function rInit() {
    if (!/^https?:$/.test(location.protocol)) return; // a page opened from disk has no service
    fetch(API + "health").then(function (res) { return res.json(); }).then(function (h) {
      if (!h || !h.records) return;
      R.on = true;
      var done = read("policy-records:done:" + KEY), name = $(".training-name");
      if (h.identity === "oidc") rSignedIn(h);
      if (h.identity === "typed" && name && !S.result) {
        name.insertAdjacentHTML("afterend", '<p class="training-name"><label for="training-email">' +
          esc(P.text.email_label) + '</label><br><input type="email" id="training-email" autocomplete="email" ' +
          'maxlength="254"></p>');
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
      if (!correct(q.id)) { delete S.answers[q.id]; delete S.verdicts[q.id]; first = first || q.id; }
    });
    save();
    showAll();
    OUT.innerHTML = "";
    if (first) $("#q-" + domId(first) + " input").focus();
    announce(P.text.retry);
  }

  function check(fs) {
    var chosen = $$("input", fs).filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    var fb = $("[data-feedback]", fs);
    if (!chosen.length) {
      fb.setAttribute("data-shown", "choose_html");
      fb.innerHTML = P.text.choose_html;
      return $("input", fs).focus();
    }
    var qid = fs.getAttribute("data-question");
    if (SERVER) return askService(fs, qid, chosen);
    S.answers[qid] = chosen;
    save();
    showAll();
    fb.focus();
  }

  // The service marks the answer and sends the explanation; nothing is kept until it has.
  function askService(fs, qid, chosen) {
    var fb = $("[data-feedback]", fs), button = $("[data-check]", fs);
    var say = function (html) {
      fb.setAttribute("data-shown", "error");
      fb.innerHTML = html;
      button.disabled = false;
      fb.focus();
    };
    button.disabled = true;
    post("check", { checklist: D.checklist, version: D.version, training_hash: D.training_hash,
      question: qid, answer: chosen }).then(function (a) {
        var st = a[0].status, j = a[1];
        if (st !== 200) {
          return say(T("not_checked_html", { why_html: said(j.message || "HTTP " + st) +
            (st === 409 ? "" : " " + esc(P.text.try_again)) }));
        }
        S.answers[qid] = chosen;
        S.verdicts[qid] = { ok: !!j.correct, html: j.explanation_html || "" };
        save();
        showAll();
        fb.focus();
      }, function () {
        say(T("not_checked_html", { why_html: esc(P.text.unreachable) + " " + esc(P.text.try_again) }));
      });
  }

  // ---- events ----
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("button");
    if (!t) return;
    if (t.hasAttribute("data-check")) check(t.closest("[data-question]"));
    else if (t.id === "training-finish") finish();
    else if (t.hasAttribute("data-retry")) retry();
    else if (t.hasAttribute("data-print")) window.print(); // training.css prints the record alone
  });
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t.hasAttribute || !t.hasAttribute("data-confirm")) return;
    var id = t.closest("[data-item]").getAttribute("data-item");
    if (t.checked) S.items[id] = true; else delete S.items[id];
    save();
    showAll();
    announce(P.item_titles[id] + ": " + P.text[t.checked ? "done" : "todo"]);
  });

  $$("[data-js]").forEach(function (n) { n.hidden = false; });
  $$("[data-nojs]").forEach(function (n) { n.hidden = true; });
  document.documentElement.classList.add("training-js"); // "the script is running" (tests wait for it)
  showAll();
})();
