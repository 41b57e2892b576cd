// Refreshes the dashboard's jobs panel every 2 seconds while the page is visible, and the
// sections marked data-refresh-after-job (counts, current model) when a job finishes.
"use strict";
(function () {
  const panel = document.getElementById("jobs-panel");
  if (!panel) return;
  const ACTIVE = "tr.job-queued, tr.job-running";

  function activeJobs() {
    return new Set(Array.from(panel.querySelectorAll(ACTIVE), (row) => row.dataset.jobId));
  }

  async function refreshFinishedSections() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const section of document.querySelectorAll("[data-refresh-after-job]")) {
      const fresh = page.getElementById(section.id);
      if (fresh) section.replaceWith(document.importNode(fresh, true));
    }
  }

  async function refresh() {
    if (document.hidden) return;
    try {
      const before = activeJobs();
      const response = await fetch(panel.dataset.url, { credentials: "same-origin" });
      if (!response.ok) return;
      panel.innerHTML = await response.text();
      const still = activeJobs();
      if ([...before].some((id) => !still.has(id))) await refreshFinishedSections();
    } catch (error) {
      // Offline for a moment: keep what is shown and try again at the next tick.
    }
  }
  refresh();
  setInterval(refresh, 2000);
})();
