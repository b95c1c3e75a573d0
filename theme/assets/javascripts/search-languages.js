/* Search results in the language of the page they lead to.
 *
 * Material lists search results inside its header, which is in the site's language (and
 * says so on a page in another). A result from a te reo Māori page would be read aloud as
 * English (WCAG 3.1.2, language of parts). The build writes search/languages.json: the
 * site's language and each page in another. Each result is marked with its page's.
 */
(function () {
  "use strict";
  var list = document.querySelector(".md-search-result__list");
  var me = document.currentScript;
  if (!list || !me || !window.fetch || !window.MutationObserver) return;
  var root = new URL("../../", me.src); // this script is assets/javascripts/ under the site's root
  var map = null;

  function place(href) { // a result's page, as the site names it ("kaupapa-here-tumataiti/")
    var url = new URL(href, location.href);
    if (url.origin !== root.origin || url.pathname.indexOf(root.pathname) !== 0) return null;
    try { return decodeURIComponent(url.pathname.slice(root.pathname.length)); } catch (e) { return null; }
  }
  function mark() {
    [].forEach.call(list.querySelectorAll(".md-search-result__item"), function (item) {
      var link = item.querySelector("a[href]"), at = link && place(link.getAttribute("href"));
      if (at === null || at === undefined) return;
      var lang = map.pages[at] || map.site;
      if (item.getAttribute("lang") !== lang) item.setAttribute("lang", lang);
    });
  }
  fetch(new URL("search/languages.json", root).href).then(function (res) {
    return res.ok ? res.json() : null;
  }).then(function (m) {
    if (!m || !m.pages) return;
    map = m;
    mark();
    new MutationObserver(mark).observe(list, { childList: true, subtree: true });
  }, function () { /* no map: results keep the header's language */ });
})();
