// The embedding map: loads the points, draws them with the WebGL point renderer, and
// handles pan/zoom, hover thumbnails, colour toggles and the lasso with its two actions.
"use strict";
(function () {
  const app = window.labelapp;
  const config = app.readConfig("map-config");
  const canvas = document.getElementById("map-canvas");
  const overlay = document.getElementById("map-overlay");
  const stage = document.getElementById("map-stage");
  const hover = document.getElementById("map-hover");
  const status = document.getElementById("map-status");
  const NO_CLASS_COLOR = [150, 158, 168];
  const renderer = app.createPointRenderer(canvas);
  const state = {
    data: null, colorBy: "label", mode: "pan", cx: 0, cy: 0, zoom: 1,
    selected: null, selectedCount: 0, grid: null, hovered: -1, drag: null, lasso: null,
    frame: 0,
  };
  const $ = (id) => document.getElementById(id);

  function hexToRgb(hex) {
    const value = parseInt(hex.slice(1), 16);
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  }
  let classColors = config.classes.map((c) => hexToRgb(c.color));

  // ---- view geometry (CSS pixels) ----
  function size() { return { width: stage.clientWidth, height: stage.clientHeight }; }
  function pixelsPerUnit() {
    const { width, height } = size();
    return (Math.min(width, height) / 2) * 0.92 * state.zoom;
  }
  function toScreen(x, y) {
    const { width, height } = size(), k = pixelsPerUnit();
    return [width / 2 + (x - state.cx) * k, height / 2 - (y - state.cy) * k];
  }
  function toMap(sx, sy) {
    const { width, height } = size(), k = pixelsPerUnit();
    return [state.cx + (sx - width / 2) / k, state.cy - (sy - height / 2) / k];
  }

  function resize() {
    const ratio = window.devicePixelRatio || 1, { width, height } = size();
    for (const element of [canvas, overlay]) {
      element.width = Math.round(width * ratio);
      element.height = Math.round(height * ratio);
    }
    requestDraw();
  }

  function requestDraw() {
    if (!state.frame) state.frame = requestAnimationFrame(draw);
  }

  function draw() {
    state.frame = 0;
    if (!renderer || !state.data) return;
    const { width, height } = size(), k = pixelsPerUnit(), ratio = window.devicePixelRatio || 1;
    const scaleX = (2 * k) / width, scaleY = (2 * k) / height;
    const count = state.data.ids.length;
    const base = count > 50000 ? 2.5 : count > 10000 ? 3.5 : 5;
    const pointSize = Math.min(16, base + Math.max(0, Math.log2(state.zoom)) * 1.5) * ratio;
    renderer.draw({ scaleX, scaleY, offsetX: -state.cx * scaleX, offsetY: -state.cy * scaleY, pointSize });
    drawOverlay();
    canvas.dataset.drawn = String(count);
  }

  function drawOverlay() {
    const context = overlay.getContext("2d"), ratio = window.devicePixelRatio || 1;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, overlay.width, overlay.height);
    if (state.lasso && state.lasso.length > 1) {
      context.beginPath();
      state.lasso.forEach(([sx, sy], index) => (index ? context.lineTo(sx, sy) : context.moveTo(sx, sy)));
      context.closePath();
      context.fillStyle = "rgba(47, 111, 235, 0.08)";
      context.strokeStyle = "#2f6feb";
      context.lineWidth = 1.5;
      context.setLineDash([5, 4]);
      context.fill();
      context.stroke();
    }
    if (state.hovered >= 0) {
      const [sx, sy] = toScreen(state.data.x[state.hovered], state.data.y[state.hovered]);
      context.setLineDash([]);
      context.beginPath();
      context.arc(sx, sy, 7, 0, 2 * Math.PI);
      context.strokeStyle = "#1f2328";
      context.lineWidth = 2;
      context.stroke();
    }
  }

  // ---- colours: unlabeled points go first in the buffer so coloured ones draw on top ----
  function classIndexOf(i) {
    return state.colorBy === "label" ? state.data.label[i] : state.data.predicted[i];
  }

  function upload() {
    const data = state.data, count = data.ids.length;
    const order = [];
    for (let i = 0; i < count; i++) if (classIndexOf(i) < 0) order.push(i);
    for (let i = 0; i < count; i++) if (classIndexOf(i) >= 0) order.push(i);
    const positions = new Float32Array(count * 2), colors = new Uint8Array(count * 4);
    const dim = state.selectedCount > 0;
    order.forEach((i, slot) => {
      positions[slot * 2] = data.x[i];
      positions[slot * 2 + 1] = data.y[i];
      const index = classIndexOf(i), rgb = index >= 0 ? classColors[index] : NO_CLASS_COLOR;
      const alpha = dim ? (state.selected[i] ? 255 : 40) : index >= 0 ? 230 : 110;
      colors.set([rgb[0], rgb[1], rgb[2], alpha], slot * 4);
    });
    renderer.setPoints(positions);
    renderer.setColors(colors);
    updateLegend();
    requestDraw();
  }

  function updateLegend() {
    const counts = new Array(config.classes.length).fill(0);
    let none = 0;
    for (let i = 0; i < state.data.ids.length; i++) {
      const index = classIndexOf(i);
      if (index >= 0) counts[index]++; else none++;
    }
    const legend = $("map-legend");
    legend.replaceChildren();
    const entries = config.classes.map((c, index) => [c.color, c.name, counts[index]]);
    entries.push(["#969ea8", state.colorBy === "label" ? "unlabeled" : "no prediction", none]);
    for (const [color, name, count] of entries) {
      const item = document.createElement("li"), swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = color;
      const text = document.createElement("span");
      text.textContent = name;
      const number = document.createElement("span");
      number.className = "num muted";
      number.textContent = count.toLocaleString();
      item.append(swatch, text, number);
      legend.append(item);
    }
  }

  // ---- hover ----
  function showHover(index, sx, sy) {
    if (index === state.hovered) return;
    state.hovered = index;
    requestDraw();
    if (index < 0) { hover.hidden = true; return; }
    const data = state.data, id = data.ids[index];
    const name = (i) => (i >= 0 ? config.classes[i].name : "–");
    hover.querySelector("img").src = data.thumbnail_url.replace("{image_id}", id);
    hover.querySelector(".map-hover-text").textContent =
      `#${id} · label ${name(data.label[index])} · predicted ${name(data.predicted[index])}`;
    const { width } = size();
    hover.style.left = `${Math.min(sx + 14, width - 190)}px`;
    hover.style.top = `${Math.max(sy - 60, 4)}px`;
    hover.hidden = false;
  }

  function hoverAt(sx, sy) {
    if (!state.grid) return;
    const [x, y] = toMap(sx, sy);
    showHover(app.mapGeometry.nearest(state.grid, state.data.x, state.data.y, x, y, 9 / pixelsPerUnit()), sx, sy);
  }

  // ---- pointer: pan, lasso, click ----
  function localPoint(event) {
    const box = stage.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  stage.addEventListener("pointerdown", (event) => {
    if (!state.data || event.button !== 0) return;
    stage.setPointerCapture(event.pointerId);
    const point = localPoint(event);
    if (state.mode === "lasso" || event.shiftKey) {
      state.lasso = [point];
      state.lassoAdds = event.shiftKey && state.mode === "lasso";
    } else {
      state.drag = { start: point, cx: state.cx, cy: state.cy, moved: false };
    }
  });

  stage.addEventListener("pointermove", (event) => {
    const [sx, sy] = localPoint(event);
    if (state.drag) {
      const k = pixelsPerUnit(), dx = sx - state.drag.start[0], dy = sy - state.drag.start[1];
      if (Math.abs(dx) + Math.abs(dy) > 3) state.drag.moved = true;
      state.cx = state.drag.cx - dx / k;
      state.cy = state.drag.cy + dy / k;
      showHover(-1);
      requestDraw();
    } else if (state.lasso) {
      const last = state.lasso[state.lasso.length - 1];
      if (Math.hypot(sx - last[0], sy - last[1]) > 3) { state.lasso.push([sx, sy]); requestDraw(); }
    } else {
      hoverAt(sx, sy);
    }
  });

  stage.addEventListener("pointerup", (event) => {
    if (state.drag) {
      const clicked = !state.drag.moved && state.hovered >= 0;
      state.drag = null;
      if (clicked) window.open(state.data.detail_url.replace("{image_id}", state.data.ids[state.hovered]), "_blank");
    } else if (state.lasso) {
      const polygon = state.lasso.map(([sx, sy]) => toMap(sx, sy));
      state.lasso = null;
      select(app.mapGeometry.insidePolygon(state.data.x, state.data.y, polygon), state.lassoAdds || event.shiftKey);
    }
  });

  stage.addEventListener("pointerleave", () => showHover(-1));

  stage.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [sx, sy] = localPoint(event), [x, y] = toMap(sx, sy);
    state.zoom = Math.min(5000, Math.max(0.5, state.zoom * Math.exp(-event.deltaY * 0.0015)));
    const [nx, ny] = toMap(sx, sy);
    state.cx += x - nx;
    state.cy += y - ny;
    showHover(-1);
    requestDraw();
  }, { passive: false });

  // ---- selection and its actions ----
  function select(indices, add) {
    if (!add) state.selected.fill(0);
    for (const i of indices) state.selected[i] = 1;
    state.selectedCount = state.selected.reduce((sum, flag) => sum + flag, 0);
    $("selection-panel").hidden = state.selectedCount === 0;
    $("selection-count").textContent = state.selectedCount.toLocaleString();
    $("selection-result").textContent = "";
    upload();
  }

  function selectedIndices() {
    const found = [];
    state.selected.forEach((flag, i) => flag && found.push(i));
    return found;
  }

  async function postJson(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": app.csrfToken() },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ error: `The server answered ${response.status}.` }));
    if (!response.ok) throw new Error(answer.error || `The server answered ${response.status}.`);
    return answer;
  }

  async function labelSelection() {
    const data = state.data, classId = Number($("selection-class").value);
    const classIndex = config.classes.findIndex((c) => c.id === classId);
    const labelClass = config.classes[classIndex], indices = selectedIndices();
    if (!labelClass) throw new Error("that class is gone; reload the page.");
    const others = indices.filter((i) => data.label[i] >= 0 && data.label[i] !== classIndex).length;
    if (others && !window.confirm(`${others.toLocaleString()} of the selected images already have another label. Label them ${labelClass.name} too?`)) {
      throw new Error("you kept their labels.");
    }
    const total = { labeled: 0, relabeled: 0, unchanged: 0, missing: 0, conflicts: [] };
    const result = $("selection-result");
    const indexOfId = new Map(indices.map((i) => [data.ids[i], i]));
    for (let start = 0; start < indices.length; start += config.max_selection) {
      const chunk = indices.slice(start, start + config.max_selection);
      result.textContent = `Labeling ${start.toLocaleString()} of ${indices.length.toLocaleString()}…`;
      const answer = await postJson(data.label_url, {
        class_id: labelClass.id, images: chunk.map((i) => [data.ids[i], data.versions[i]]),
      });
      for (const id of answer.labeled_ids) {
        const i = indexOfId.get(id);
        data.versions[i] += 1;
        data.label[i] = classIndex;
      }
      for (const conflict of answer.conflicts) {
        const i = indexOfId.get(conflict.id);
        data.versions[i] = conflict.version;
        data.label[i] = config.classes.findIndex((c) => c.id === conflict.label_class_id);
      }
      for (const key of ["labeled", "relabeled", "unchanged", "missing"]) total[key] += answer[key];
      total.conflicts.push(...answer.conflicts);
    }
    let text = `Labeled ${total.labeled.toLocaleString()} as ${labelClass.name}`;
    text += total.relabeled ? ` (${total.relabeled} of them had another label).` : ".";
    if (total.unchanged) text += ` ${total.unchanged} already were.`;
    if (total.conflicts.length) text += ` ${total.conflicts.length} changed since you loaded the map (in another tab, or by someone else) and were left as they are now.`;
    if (total.missing) text += ` ${total.missing} no longer exist.`;
    result.textContent = text;
    upload();
  }

  async function queueSelection() {
    const indices = selectedIndices(), result = $("selection-result");
    if (indices.length > config.max_selection) {
      result.textContent = `Select at most ${config.max_selection.toLocaleString()} images for the queue.`;
      return;
    }
    const answer = await postJson(state.data.queue_url, { image_ids: indices.map((i) => state.data.ids[i]) });
    let text = `Added ${answer.queued} to the label-next queue.`;
    if (answer.already_queued) text += ` ${answer.already_queued} were queued already.`;
    if (answer.labeled) text += ` ${answer.labeled} are labeled already.`;
    result.textContent = text;
  }

  function guarded(action) {
    return () => action().catch((error) => { $("selection-result").textContent = `Nothing changed: ${error.message}`; });
  }

  // ---- toolbar ----
  function press(active, other) { $(active).setAttribute("aria-pressed", "true"); $(other).setAttribute("aria-pressed", "false"); }
  function setColorBy(mode) { state.colorBy = mode; press(`color-${mode}`, mode === "label" ? "color-prediction" : "color-label"); upload(); }
  function setMode(mode) { state.mode = mode; stage.classList.toggle("lasso", mode === "lasso"); press(`mode-${mode}`, mode === "pan" ? "mode-lasso" : "mode-pan"); }
  $("color-label").addEventListener("click", () => setColorBy("label"));
  $("color-prediction").addEventListener("click", () => setColorBy("prediction"));
  $("mode-pan").addEventListener("click", () => setMode("pan"));
  $("mode-lasso").addEventListener("click", () => setMode("lasso"));
  $("reset-view").addEventListener("click", () => { state.cx = state.cy = 0; state.zoom = 1; requestDraw(); });
  $("selection-clear").addEventListener("click", () => select([], false));
  if ($("selection-label")) $("selection-label").addEventListener("click", guarded(labelSelection));
  if ($("selection-queue")) $("selection-queue").addEventListener("click", guarded(queueSelection));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea") || event.ctrlKey || event.metaKey) return;
    if (event.key === "l" || event.key === "L") setMode(state.mode === "lasso" ? "pan" : "lasso");
    if (event.key === "Escape" && state.data) select([], false);
  });
  new ResizeObserver(resize).observe(stage);

  // ---- load ----
  async function load() {
    if (!renderer) { status.textContent = "This browser cannot draw the map: WebGL is turned off or missing."; return; }
    const response = await fetch(config.points_url, { headers: { Accept: "application/json" } });
    if (!response.ok) { status.textContent = `Could not load the points (${response.status}).`; return; }
    const data = await response.json();
    data.x = Float32Array.from(data.x);
    data.y = Float32Array.from(data.y);
    data.label = Int16Array.from(data.label);
    data.predicted = Int16Array.from(data.predicted);
    data.versions = Int32Array.from(data.versions);
    state.data = data;
    config.classes = data.classes; // the indices in the points refer to this list
    classColors = config.classes.map((c) => hexToRgb(c.color));
    state.selected = new Uint8Array(data.ids.length);
    state.grid = app.mapGeometry.buildGrid(data.x, data.y);
    let text = data.problem || `${data.ids.length.toLocaleString()} images, PCA of the encoder's representations.`;
    if (!data.problem && data.not_embedded) text += ` ${data.not_embedded.toLocaleString()} newer images are not on the map yet: they appear once their representations are computed, which starts by itself after an import (see Jobs on the overview).`;
    status.textContent = text;
    stage.dataset.points = String(data.ids.length);
    upload();
  }
  // For tests and the console: where a point is drawn, in CSS pixels of the stage.
  app.embeddingMap = { screenPositionOf: (i) => toScreen(state.data.x[i], state.data.y[i]) };
  load().catch((error) => { status.textContent = `Could not draw the map: ${error.message}`; });
})();
