/* Check-in page: fill the hidden lat/lng fields with the phone's position, rounded to about
 * 10 m (4 decimals), when the activity checks location and the member consented. Without a
 * position (denied, no GPS, timeout) the fields stay empty and the organiser confirms instead.
 * A static file, not an inline script, so the Content-Security-Policy can forbid inline code.
 */
(function () {
  "use strict";

  function fill(position) {
    var lat = document.getElementById("lat");
    var lng = document.getElementById("lng");
    if (!lat || !lng) return;
    lat.value = position.coords.latitude.toFixed(4);
    lng.value = position.coords.longitude.toFixed(4);
  }

  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(fill, function () {}, { timeout: 8000, maximumAge: 60000 });
  }
})();
