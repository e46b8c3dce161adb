/* Select the whole value of [data-select-on-focus] fields when they get focus, so a one-time
 * secret (a partner API key) is copied in one go. A static file: the CSP forbids onfocus="...". */
(function () {
  "use strict";
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field && field.hasAttribute && field.hasAttribute("data-select-on-focus")) field.select();
  });
})();
