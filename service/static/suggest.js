// Suggest names as they are typed in every search box (input[name=q] in a role=search form):
// asks /api/suggest and fills a <datalist>; the form still works without it.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  document.querySelectorAll('form[role="search"] input[name="q"]').forEach(function (box, n) {
    var list = document.createElement("datalist");
    list.id = "dmkg-suggestions-" + n;
    box.setAttribute("list", list.id);
    box.setAttribute("autocomplete", "off");
    box.parentNode.appendChild(list);
    var pending = null;
    var links = {};
    box.addEventListener("input", function (event) {
      var text = box.value.trim();
      // A suggestion picked from the list (not typed): go to its page.
      var picked = !event.inputType || event.inputType === "insertReplacementText";
      if (picked && links[box.value]) { window.location.href = links[box.value]; return; }
      clearTimeout(pending);
      if (!text) { list.replaceChildren(); return; }
      pending = setTimeout(function () {
        var url = "/api/suggest?" + new URLSearchParams({ q: text, lang: lang });
        fetch(url, { headers: { Accept: "application/json" } })
          .then(function (reply) { return reply.ok ? reply.json() : { suggestions: [] }; })
          .then(function (body) {
            links = {};
            list.replaceChildren.apply(list, body.suggestions.map(function (s) {
              var option = document.createElement("option");
              option.value = s.label;
              // A name in another language than the page's is followed by that language's
              // code: an option's label cannot mark a part of itself with lang.
              var other = s.matched_lang && s.matched_lang !== lang ? " (" + s.matched_lang + ")" : "";
              option.label = s.kind_label + (s.matched !== s.label ? " · " + s.matched + other : "");
              links[s.label] = s.url;
              return option;
            }));
          })
          .catch(function () { list.replaceChildren(); });
      }, 120);
    });
  });
})();
