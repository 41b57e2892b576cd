// Geometry for the embedding map: a uniform grid for nearest-point lookup under the mouse,
// and polygon (lasso) containment. Map coordinates are in [-1, 1].
"use strict";
window.labelapp = window.labelapp || {};

(function () {
  const CELLS = 256; // per side

  function cellOf(value) {
    return Math.min(CELLS - 1, Math.max(0, Math.floor(((value + 1) / 2) * CELLS)));
  }

  // Counting sort of the points into cells: items of cell c are items[start[c] .. start[c+1]).
  function buildGrid(x, y) {
    const count = x.length;
    const start = new Int32Array(CELLS * CELLS + 1);
    const cell = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      cell[i] = cellOf(y[i]) * CELLS + cellOf(x[i]);
      start[cell[i] + 1]++;
    }
    for (let c = 0; c < CELLS * CELLS; c++) start[c + 1] += start[c];
    const fill = start.slice(0, CELLS * CELLS);
    const items = new Int32Array(count);
    for (let i = 0; i < count; i++) items[fill[cell[i]]++] = i;
    return { start, items };
  }

  // The index of the point nearest (px, py) within radius (map units), or -1.
  function nearest(grid, x, y, px, py, radius) {
    const low = (v) => cellOf(v - radius), high = (v) => cellOf(v + radius);
    let best = -1, bestDistance = radius * radius;
    for (let row = low(py); row <= high(py); row++) {
      for (let column = low(px); column <= high(px); column++) {
        const c = row * CELLS + column;
        for (let k = grid.start[c]; k < grid.start[c + 1]; k++) {
          const i = grid.items[k], dx = x[i] - px, dy = y[i] - py;
          const distance = dx * dx + dy * dy;
          if (distance <= bestDistance) { bestDistance = distance; best = i; }
        }
      }
    }
    return best;
  }

  // Indices of the points inside the polygon [[x, y], ...] (even-odd rule).
  function insidePolygon(x, y, polygon) {
    const found = [];
    if (polygon.length < 3) return found;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (const [px, py] of polygon) {
      minX = Math.min(minX, px); maxX = Math.max(maxX, px);
      minY = Math.min(minY, py); maxY = Math.max(maxY, py);
    }
    for (let i = 0; i < x.length; i++) {
      const px = x[i], py = y[i];
      if (px < minX || px > maxX || py < minY || py > maxY) continue;
      let inside = false;
      for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
        const [ax, ay] = polygon[a], [bx, by] = polygon[b];
        if ((ay > py) !== (by > py) && px < ((bx - ax) * (py - ay)) / (by - ay) + ax) inside = !inside;
      }
      if (inside) found.push(i);
    }
    return found;
  }

  window.labelapp.mapGeometry = { buildGrid, nearest, insidePolygon };
})();
