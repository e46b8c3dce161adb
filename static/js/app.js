/* Small behaviours of every page, as a static file: the Content-Security-Policy forbids inline
 * scripts, onclick="..." handlers and javascript: URLs.
 *
 * [data-history-back]: a link that goes back one page when there is one to go back to, and
 * otherwise follows its href.
 */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-history-back]");
    if (!link || window.history.length < 2) return;
    event.preventDefault();
    window.history.back();
  });
})();
