// The API documentation: Swagger UI reading the service's own OpenAPI document.
(function () {
  "use strict";
  var language = document.documentElement.lang;
  // "Try it out" asks for labels in the page's language: each lang parameter's default is
  // set to it as the document is read (the document itself says en, for other clients).
  // The document's own texts (title, summaries, descriptions) in the page's language, from the
  // table the page hands over (service/i18n.py, API_FRENCH); a text it lacks stays as written.
  var block = document.getElementById("chrome-words");
  var TEXTS = (block && JSON.parse(block.textContent).api_texts) || {};
  function translated(owner, key) {
    var text = owner && owner[key];
    if (typeof text !== "string") { return; }
    var found = TEXTS[text.split(/\s+/).filter(Boolean).join(" ")];
    if (found) { owner[key] = found; }
  }
  function pageLanguage(spec) {
    translated(spec.info, "title");
    translated(spec.info, "description");
    Object.keys(spec.paths || {}).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (key) {
        var parameters = key === "parameters" ? item[key] : item[key].parameters;
        if (key !== "parameters") {
          translated(item[key], "summary");
          translated(item[key], "description");
        }
        (parameters || []).forEach(function (parameter) {
          var schema = parameter.schema;
          translated(parameter, "description");
          if (parameter.name === "lang" && schema && (schema.enum || []).indexOf(language) >= 0) {
            schema.default = language;
          }
        });
      });
    });
    return spec;
  }
  var LanguageDefault = function () {
    return { statePlugins: { spec: { wrapActions: {
      updateJsonSpec: function (original) {
        return function (spec) { return original(pageLanguage(spec)); };
      }
    } } } };
  };
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    plugins: [LanguageDefault]
  });
})();
