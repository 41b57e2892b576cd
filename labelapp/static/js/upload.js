// Sends the chosen files (or a whole folder) in batches the server accepts, then follows
// each batch's import job and shows a line per file.
"use strict";
(function () {
  const config = window.labelapp.readConfig("upload-config");
  const form = document.getElementById("upload-form");
  if (!config || !form) return;
  const pickFiles = document.getElementById("pick-files");
  const pickFolder = document.getElementById("pick-folder");
  const picked = document.getElementById("picked");
  const button = document.getElementById("upload-button");
  const bar = document.getElementById("upload-bar");
  const statusLine = document.getElementById("upload-status");
  const report = document.getElementById("upload-report");
  // A folder often holds other files (.DS_Store, notes): only likely pictures are sent from
  // it. Files picked one by one are all sent; the server says why it refuses any.
  const likelyPicture = /\.(jpe?g|png|webp|gif|bmp|tiff?|zip)$/i;
  let files = [];

  function choose(list, fromFolder) {
    files = Array.from(list).filter((f) => !fromFolder || likelyPicture.test(f.name));
    const skipped = list.length - files.length;
    picked.textContent = files.length + " file" + (files.length === 1 ? "" : "s") + " chosen" +
      (skipped ? " (" + skipped + " other files skipped)" : "") + ".";
    button.disabled = files.length === 0;
  }
  pickFiles.addEventListener("change", () => choose(pickFiles.files, false));
  pickFolder.addEventListener("change", () => choose(pickFolder.files, true));

  const problems = document.getElementById("upload-problems");
  const addedBox = document.getElementById("upload-added");
  const addedList = document.getElementById("upload-added-list");

  // Problems get a table row each; added files go into a folded list.
  function addRow(name, result, details) {
    if (result === "added") {
      const item = document.createElement("li");
      item.textContent = name;
      addedList.appendChild(item);
      addedBox.hidden = false;
      return;
    }
    problems.hidden = false;
    const row = report.insertRow();
    row.insertCell().textContent = name;
    const cell = row.insertCell();
    cell.textContent = result;
    cell.className = "status status-" + result;
    row.insertCell().textContent = details || "";
  }

  const url = (template, id) => template.replace(/\/0\/?$/, "/" + id + (template.endsWith("/") ? "/" : ""));

  // The bar's second half is the import: batch ``index`` of ``count`` moves it with its job.
  async function follow(batch, index, count) {
    while (true) {
      const job = await (await fetch(url(config.job_url, batch.job), { credentials: "same-origin" })).json();
      statusLine.textContent = "Importing: " + (job.message || job.status) + " (" + Math.round(job.progress * 100) + "%)";
      bar.value = 0.5 + (index + Math.min(Math.max(job.progress || 0, 0), 1)) / count / 2;
      if (["succeeded", "failed", "cancelled"].includes(job.status)) {
        const done = await (await fetch(url(config.batch_url, batch.id), { credentials: "same-origin" })).json();
        for (const entry of done.report) addRow(entry.name, entry.status, entry.message);
        if (job.status !== "succeeded") addRow("(import job)", "rejected", job.error || job.status);
        return done;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    document.getElementById("upload-progress").hidden = false;
    report.innerHTML = "";
    addedList.innerHTML = "";
    problems.hidden = addedBox.hidden = true;
    const size = config.files_per_request;
    const batches = [];
    for (let start = 0; start < files.length; start += size) {
      const data = new FormData();
      files.slice(start, start + size).forEach((f) => data.append("files", f, f.webkitRelativePath || f.name));
      if (document.getElementById("labels-from-folders").checked) data.append("labels_from_folders", "true");
      statusLine.textContent = "Sending files " + (start + 1) + "–" + Math.min(start + size, files.length) + " of " + files.length + "…";
      const response = await fetch(config.upload_url, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": window.labelapp.csrfToken() },
      });
      const body = await response.json().catch(() => ({ detail: response.statusText }));
      if (response.status === 201) batches.push(body);
      else addRow("files " + (start + 1) + "–" + Math.min(start + size, files.length), "rejected", body.detail);
      bar.value = Math.min(start + size, files.length) / files.length / 2;
    }
    let added = 0, duplicates = 0, rejected = 0;
    for (const [index, batch] of batches.entries()) {
      const done = await follow(batch, index, batches.length);
      added += done.added; duplicates += done.duplicates; rejected += done.rejected;
    }
    bar.value = 1;
    statusLine.textContent = "Done: " + added + " added, " + duplicates + " duplicates, " + rejected + " rejected.";
    addedBox.querySelector("summary").textContent = added + " files added";
    document.getElementById("upload-links").hidden = false;
    button.disabled = false;
  });
})();
