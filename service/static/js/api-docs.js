// The API documentation: Swagger UI reading the service's own OpenAPI document.
(function () {
  "use strict";
  var language = document.documentElement.lang;
  // "Try it out" asks for labels in the page's language: each lang parameter's default is
  // set to it as the document is read (the document itself says en, for other clients).
  function pageLanguage(spec) {
    Object.keys(spec.paths || {}).forEach(function (path) {
      var item = spec.paths[path];
      Object.keys(item).forEach(function (key) {
        var parameters = key === "parameters" ? item[key] : item[key].parameters;
        (parameters || []).forEach(function (parameter) {
          var schema = parameter.schema;
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
