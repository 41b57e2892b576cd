// The labeling grid: keyboard first, mouse multi-select, saved at once, undo, conflicts.
"use strict";
(function () {
  const config = window.labelapp.readConfig("labeling-config");
  const grid = document.getElementById("grid");
  if (!config || !grid) return;
  const tiles = Array.from(grid.querySelectorAll(".tile"));
  const status = document.getElementById("save-status");
  const classes = new Map(config.classes.map((c) => [String(c.id), c]));
  const classByKey = new Map(config.classes.filter((c) => c.key).map((c) => [c.key, c]));
  const selected = new Set();
  const undoStack = [];
  let focusIndex = 0;
  let anchorIndex = 0;

  function say(text, isError) {
    if (!status) return;
    status.textContent = text;
    status.className = "small " + (isError ? "error" : "muted");
  }

  function paint(tile) {
    const label = classes.get(tile.dataset.label);
    const predicted = classes.get(tile.dataset.predicted);
    const badge = tile.querySelector(".label-badge");
    badge.textContent = label ? label.name : "";
    tile.classList.toggle("labeled", Boolean(label));
    tile.style.setProperty("--label-color", label ? label.color : "transparent");
    const predictionBadge = tile.querySelector(".prediction-badge");
    if (predictionBadge && predicted) {
      predictionBadge.style.setProperty("--class-color", predicted.color);
      predictionBadge.textContent = predicted.name + " " + tile.dataset.confidence;
    }
    tile.classList.toggle("selected", selected.has(tile));
    tile.setAttribute("aria-selected", selected.has(tile) ? "true" : "false");
  }

  function focusTile(index) {
    if (!tiles.length) return;
    focusIndex = Math.max(0, Math.min(tiles.length - 1, index));
    tiles.forEach((t, i) => t.classList.toggle("focused", i === focusIndex));
    tiles[focusIndex].focus({ preventScroll: true });
    tiles[focusIndex].scrollIntoView({ block: "nearest" });
  }

  function columns() {
    const top = tiles[0].offsetTop;
    const count = tiles.findIndex((t) => t.offsetTop !== top);
    return count === -1 ? tiles.length : count;
  }

  function targets() {
    return selected.size ? Array.from(selected) : tiles.length ? [tiles[focusIndex]] : [];
  }

  // Saves go out one after another, each reading the tile's version when it is sent, so
  // fast typing never conflicts with itself; the tile shows the new label at once.
  let saving = Promise.resolve();
  let pending = 0;

  function save(classId, chosen, source, recordUndo) {
    if (!config.can_label) { say("Only labelers can change labels.", true); return Promise.resolve([]); }
    const before = new Map(chosen.map((t) => [t.dataset.imageId, t.dataset.label || null]));
    for (const tile of chosen) {
      tile.dataset.label = classId === null ? "" : String(classId);
      tile.classList.add("pending");
      paint(tile);
    }
    pending += 1;
    grid.dataset.pending = String(pending);
    say("Saving…");
    const done = saving.then(() => send(classId, chosen, source, before, recordUndo));
    saving = done.catch(() => []);
    return done;
  }

  async function send(classId, chosen, source, before, recordUndo) {
    const body = {
      label_class: classId === null ? null : Number(classId),
      images: chosen.map((t) => ({
        id: Number(t.dataset.imageId),
        expected_version: Number(t.dataset.version),
        picked_by: t.dataset.pickedBy || "",  // the "Label next" strategy that offered it
      })),
      source: source,
    };
    let response = null;
    let detail = "the server cannot be reached";
    try {
      response = await fetch(config.labels_url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": window.labelapp.csrfToken() },
        body: JSON.stringify(body),
      });
    } catch (error) {
      response = null;
    }
    pending -= 1;
    grid.dataset.pending = String(pending);
    if (!response || (response.status !== 200 && response.status !== 409)) {
      if (response) detail = ((await response.json().catch(() => ({}))).detail) || response.statusText;
      for (const tile of chosen) {
        tile.dataset.label = before.get(tile.dataset.imageId) || "";
        tile.classList.remove("pending");
        paint(tile);
      }
      say("Not saved: " + detail + ". Try again.", true);
      return [];
    }
    const results = (await response.json()).results;
    const saved = [];
    const conflicts = [];
    for (const result of results) {
      const tile = tiles.find((t) => t.dataset.imageId === String(result.id));
      if (!tile) continue;
      if (result.ok) saved.push({ id: String(result.id), before: before.get(String(result.id)), version: result.label_version });
      else conflicts.push(result);
      tile.dataset.version = result.label_version;
      tile.dataset.label = result.label_class === null ? "" : String(result.label_class);
      tile.classList.remove("pending");
      tile.classList.toggle("conflict", !result.ok);
      paint(tile);
    }
    if (recordUndo && saved.length) undoStack.push(saved);
    grid.dataset.saved = String(Number(grid.dataset.saved || 0) + saved.length);
    if (conflicts.length) {
      const first = conflicts[0];
      say("Changed since you loaded it (in another tab, or by someone else): now " + (first.label_name || "no label") +
          (conflicts.length > 1 ? " (and " + (conflicts.length - 1) + " more)" : "") + ". Shown as it is now.", true);
    } else if (pending === 0) {
      say("Saved.");
    }
    return saved;
  }

  function assign(classId) {
    const chosen = targets();
    if (!chosen.length) return;
    if (!selected.size) focusTile(focusIndex + 1);
    save(classId, chosen, "person", true);
  }

  async function acceptPredictions() {
    const byClass = new Map();
    for (const tile of targets()) {
      if (!tile.dataset.predicted) continue;
      if (!byClass.has(tile.dataset.predicted)) byClass.set(tile.dataset.predicted, []);
      byClass.get(tile.dataset.predicted).push(tile);
    }
    if (!byClass.size) { say("No prediction to accept here.", true); return; }
    if (!selected.size) focusTile(focusIndex + 1);
    const done = [];
    for (const [classId, chosen] of byClass) done.push(...(await save(classId, chosen, "prediction", false)));
    if (done.length) undoStack.push(done);
  }

  async function undo() {
    await saving;
    const last = undoStack.pop();
    if (!last) { say("Nothing to undo."); return; }
    const byLabel = new Map();
    for (const change of last) {
      const tile = tiles.find((t) => t.dataset.imageId === change.id);
      if (!tile) continue;
      tile.dataset.version = change.version;
      const key = change.before || "";
      if (!byLabel.has(key)) byLabel.set(key, []);
      byLabel.get(key).push(tile);
    }
    for (const [label, chosen] of byLabel) await save(label === "" ? null : label, chosen, "person", false);
    if (pending === 0) say("Undone.");
  }

  function clearSelection() { selected.clear(); tiles.forEach(paint); }

  function onClick(event) {
    const tile = event.target.closest(".tile");
    if (!tile || event.target.closest("a")) return;
    const index = tiles.indexOf(tile);
    if (event.shiftKey) {
      const [from, to] = [Math.min(anchorIndex, index), Math.max(anchorIndex, index)];
      if (!(event.ctrlKey || event.metaKey)) selected.clear();
      tiles.slice(from, to + 1).forEach((t) => selected.add(t));
    } else if (event.ctrlKey || event.metaKey) {
      if (selected.has(tile)) selected.delete(tile); else selected.add(tile);
      anchorIndex = index;
    } else {
      selected.clear();
      anchorIndex = index;
    }
    tiles.forEach(paint);
    focusTile(index);
    if (selected.size) say(selected.size + " selected: press a class key to label them all.");
  }

  function onKey(event) {
    if (event.target.closest && event.target.closest("input, select, textarea")) return;
    const key = event.key;
    if ((key === "z" || key === "Z") && !event.altKey) { event.preventDefault(); undo(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() };
    if (key in moves && tiles.length) {
      event.preventDefault();
      if (tiles.length === 1 && (key === "ArrowLeft" || key === "ArrowRight")) {
        const link = document.getElementById(key === "ArrowLeft" ? "previous-image" : "next-image");
        if (link) window.location.href = link.href;
        return;
      }
      const next = focusIndex + moves[key];
      if (event.shiftKey) { selected.add(tiles[focusIndex]); selected.add(tiles[Math.max(0, Math.min(tiles.length - 1, next))]); tiles.forEach(paint); }
      focusTile(next);
      return;
    }
    if (key === "Escape") { clearSelection(); say(""); return; }
    if (key === "Enter" && tiles.length > 1) { window.location.href = tiles[focusIndex].querySelector("a.open").href; return; }
    if (key === "a") { event.preventDefault(); acceptPredictions(); return; }
    if (key === "Delete" || key === "Backspace") { event.preventDefault(); assign(null); return; }
    const labelClass = classByKey.get(key.toLowerCase());
    if (labelClass) { event.preventDefault(); assign(String(labelClass.id)); }
  }

  document.querySelectorAll(".class-button").forEach((button) => {
    button.addEventListener("click", () => assign(button.dataset.classId));
  });
  grid.addEventListener("click", onClick);
  grid.addEventListener("dblclick", (event) => {
    const tile = event.target.closest(".tile");
    if (tile) window.location.href = tile.querySelector("a.open").href;
  });
  document.addEventListener("keydown", onKey);
  tiles.forEach(paint);
  focusTile(0);
  grid.dataset.pending = "0";
  grid.dataset.ready = "1";  // keyboard handling is live (browser tests wait for this)
})();
