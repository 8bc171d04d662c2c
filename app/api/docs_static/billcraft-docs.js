// Starts Swagger UI on /api/docs (app/api/docs.py): the OpenAPI document and the OAuth
// redirect page are named by the page's #swagger-ui element, so the page has no inline script.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    deepLinking: true,
    // Never send the document to the public validator, nor show its badge.
    validatorUrl: null,
    oauth2RedirectUrl: new URL(root.dataset.oauth2RedirectUrl, window.location.href).href,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
  // Billcraft's OAuth server takes the authorization code flow with PKCE (S256) only.
  window.ui.initOAuth({ usePkceWithAuthorizationCodeGrant: true });
})();
