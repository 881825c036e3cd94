// /docs: starts Swagger UI on the API's OpenAPI document (served by nginx
// from the same site). Kept out of index.html so the page needs no inline
// script under its Content-Security-Policy.
'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    // No calls to an outside validator: the page talks to this site only.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // "Try it out" sends requests to this same site; the Authorize button
    // takes a bearer token (or logs in through the password flow).
    persistAuthorization: false,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0
  });
});
