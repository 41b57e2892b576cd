// Refreshes the dashboard's jobs panel every 2 seconds while the page is visible.
"use strict";
(function () {
  const panel = document.getElementById("jobs-panel");
  if (!panel) return;
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(panel.dataset.url, { credentials: "same-origin" });
      if (response.ok) panel.innerHTML = await response.text();
    } catch (error) {
      // Offline for a moment: keep what is shown and try again at the next tick.
    }
  }
  refresh();
  setInterval(refresh, 2000);
})();
