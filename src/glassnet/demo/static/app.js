// glassnet demo page: draw, send the drawing to /api/predict, paint what every layer computed.
// Plain JavaScript, no build step. Sections: colour maps · decoding · painting · drawing ·
// talking to the server (latest drawing wins) · layers · inspector · start-up.
"use strict";

(() => {
  const SEND_SIZE = 112;      // the 280 x 280 canvas is averaged down to this grid before sending
  const PEN_WIDTH = 20;       // in canvas pixels: MNIST strokes are ~1/14 of the field
  const MAP_TARGET_PX = 72;   // feature maps are drawn about this big, at a whole-number zoom
  const MAX_MAPS = 64;        // at most this many channels drawn per layer
  const MAX_INSPECT = 8;      // input channels shown in the inspector

  const $ = (id) => document.getElementById(id);
  const { t: T, put, putClass } = window.GlassnetLang;   // lang.js: the page's texts in the chosen language
  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // ---------------------------------------------------------------- colour maps
  function lut(stops) {
    const table = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1);
      const k = Math.min(Math.floor(t), stops.length - 2);
      const f = t - k;
      for (let c = 0; c < 3; c++) table[i * 3 + c] = stops[k][c] + (stops[k + 1][c] - stops[k][c]) * f;
    }
    return table;
  }
  const VIRIDIS = lut([[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]]);
  const DIVERGING = lut([[33, 102, 172], [103, 169, 207], [209, 229, 240], [247, 247, 247],
    [253, 219, 199], [239, 138, 98], [178, 24, 43]]);
  const GRAY = lut([[0, 0, 0], [255, 255, 255]]);

  // ---------------------------------------------------------------- decoding (see encode.py)
  // {shape, min[], max[], data: base64 uint8} -> {shape, maps, per, q, value(map, i)}
  function decode(encoded) {
    const bytes = atob(encoded.data);
    const q = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) q[i] = bytes.charCodeAt(i);
    const maps = encoded.min.length;
    const per = q.length / maps;
    return {
      shape: encoded.shape, q, per, maps, min: encoded.min, max: encoded.max,
      level(m, i) { return q[m * per + i]; },
      value(m, i) { return encoded.min[m] + (q[m * per + i] / 255) * (encoded.max[m] - encoded.min[m]); },
    };
  }

  // ---------------------------------------------------------------- painting
  // Paint a w x h grid at a whole-number zoom; levelAt(i) gives 0..255 for cell i (row-major).
  // boxes: [{x, y, w, h, color}] outlines in grid units.
  function paintGrid(canvas, w, h, zoom, levelAt, palette, boxes) {
    if (canvas.width !== w * zoom || canvas.height !== h * zoom) {
      canvas.width = w * zoom;
      canvas.height = h * zoom;
    }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w * zoom, h * zoom);
    const px = image.data;
    const rowStride = w * zoom * 4;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const level = levelAt(y * w + x);
        const r = palette[level * 3], g = palette[level * 3 + 1], b = palette[level * 3 + 2];
        for (let dy = 0; dy < zoom; dy++) {
          let o = (y * zoom + dy) * rowStride + x * zoom * 4;
          for (let dx = 0; dx < zoom; dx++, o += 4) {
            px[o] = r; px[o + 1] = g; px[o + 2] = b; px[o + 3] = 255;
          }
        }
      }
    }
    ctx.putImageData(image, 0, 0);
    for (const box of boxes || []) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = box.color || "#ff4d4f";
      ctx.strokeRect(box.x * zoom + 1, box.y * zoom + 1, box.w * zoom - 2, box.h * zoom - 2);
    }
  }

  const zoomFor = (h, w, target) => Math.max(1, Math.round(target / Math.max(h, w)));

  // A signed value -> 0..255 on a diverging scale centred on zero.
  const signedLevel = (v, maxAbs) => Math.max(0, Math.min(255, Math.round(127.5 + (127.5 * v) / (maxAbs || 1))));

  // ---------------------------------------------------------------- state
  const state = {
    model: null,          // /api/model
    result: null,         // last /api/predict answer
    input: null,          // decoded preprocessed input
    outputs: [],          // decoded outputs per layer
    views: [],            // per layer: {canvases, draw(highlight)}
    hover: null,          // {layer, channel, y, x}
  };

  // ---------------------------------------------------------------- drawing
  const board = $("draw");
  const pen = board.getContext("2d");
  const history = [];     // strokes {kind: "stroke", points}, {kind: "image", pixels}, {kind: "clear"}
  let stroke = null;

  function start() {
    // Everything after the last "clear" or "image" entry is visible.
    for (let i = history.length - 1; i >= 0; i--) if (history[i].kind !== "stroke") return i;
    return -1;
  }

  function isBlank() {
    const from = start();
    return (from < 0 || history[from].kind === "clear") && history.length - 1 === from;
  }

  function paintStroke(points) {
    pen.lineWidth = PEN_WIDTH;
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pen.strokeStyle = "#fff";
    pen.fillStyle = "#fff";
    if (points.length === 1) {
      pen.beginPath();
      pen.arc(points[0][0], points[0][1], PEN_WIDTH / 2, 0, 2 * Math.PI);
      pen.fill();
      return;
    }
    pen.beginPath();
    pen.moveTo(points[0][0], points[0][1]);
    for (const [x, y] of points.slice(1)) pen.lineTo(x, y);
    pen.stroke();
  }

  function paintImage(pixels) {
    const h = pixels.length, w = pixels[0].length;
    const small = document.createElement("canvas");
    small.width = w;
    small.height = h;
    const ctx = small.getContext("2d");
    const image = ctx.createImageData(w, h);
    pixels.flat().forEach((v, i) => image.data.set([v, v, v, 255], i * 4));
    ctx.putImageData(image, 0, 0);
    pen.imageSmoothingEnabled = true;
    pen.imageSmoothingQuality = "high";
    pen.drawImage(small, 0, 0, board.width, board.height);
  }

  function redraw() {
    pen.fillStyle = "#000";
    pen.fillRect(0, 0, board.width, board.height);
    const from = start();
    if (from >= 0 && history[from].kind === "image") paintImage(history[from].pixels);
    for (const entry of history.slice(from + 1)) paintStroke(entry.points);
    $("undo").disabled = history.length === 0;
  }

  function pointAt(event) {
    const box = board.getBoundingClientRect();
    return [(event.clientX - box.left) * (board.width / box.width), (event.clientY - box.top) * (board.height / box.height)];
  }

  board.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    board.setPointerCapture(event.pointerId);
    stroke = { kind: "stroke", points: [pointAt(event)] };
    history.push(stroke);
    redraw();
    wantPrediction(false);
  });
  board.addEventListener("pointermove", (event) => {
    if (!stroke) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) stroke.points.push(pointAt(e));
    redraw();
    wantPrediction(false);
  });
  const endStroke = () => {
    if (!stroke) return;
    stroke = null;
    wantPrediction(false);
  };
  board.addEventListener("pointerup", endStroke);
  board.addEventListener("pointercancel", endStroke);

  function undo() {
    if (!history.length) return;
    history.pop();
    redraw();
    wantPrediction(true);
  }
  function clear() {
    if (isBlank()) return;
    history.push({ kind: "clear" });
    redraw();
    wantPrediction(true);
  }
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clear);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); undo(); }
    if (event.key === "Escape") clear();
  });

  // What to send: a sample shown untouched goes as its own pixels (exact); anything else
  // is the canvas averaged down to SEND_SIZE x SEND_SIZE, ink 0..255 per cell (the red channel).
  function drawingToSend() {
    const from = start();
    if (from === history.length - 1 && from >= 0 && history[from].kind === "image") return history[from].pixels;
    return drawingGrid();
  }

  const shrink = document.createElement("canvas");
  shrink.width = shrink.height = SEND_SIZE;
  function drawingGrid() {
    const ctx = shrink.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(board, 0, 0, SEND_SIZE, SEND_SIZE);
    const rgba = ctx.getImageData(0, 0, SEND_SIZE, SEND_SIZE).data;
    const rows = [];
    for (let y = 0; y < SEND_SIZE; y++) {
      const row = new Array(SEND_SIZE);
      for (let x = 0; x < SEND_SIZE; x++) row[x] = rgba[(y * SEND_SIZE + x) * 4];
      rows.push(row);
    }
    return rows;
  }

  // ---------------------------------------------------------------- server: latest drawing wins
  // At most one request is in flight. While it runs, newer drawing just marks the canvas
  // dirty; when the answer comes, the latest drawing is sent. Clear, undo and samples
  // abort the request in flight at once. Answers older than the one shown are dropped,
  // and the server skips drawings that are already stale (409).
  const client = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
  let seq = 0, shown = 0, inflight = null, dirty = false, framePending = false;

  function wantPrediction(urgent) {
    dirty = true;
    if (urgent && inflight) { inflight.abort(); inflight = null; }
    if (!framePending) { framePending = true; requestAnimationFrame(pump); }
  }

  function pump() {
    framePending = false;
    if (!dirty || inflight) return;
    dirty = false;
    if (isBlank()) { seq++; shown = seq; showBlank(); return; }
    send();
  }

  async function send() {
    const mine = ++seq;
    const controller = new AbortController();
    inflight = controller;
    const began = performance.now();
    try {
      const answer = await fetch("/api/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pixels: drawingToSend(), client, seq: mine }),
        signal: controller.signal,
      });
      if (answer.status === 409) return;            // superseded: a newer drawing is on its way
      if (!answer.ok) throw new Error(await problem(answer));
      const body = await answer.json();
      if (mine > shown) {
        shown = mine;
        showResult(body);
        const t = body.timing_ms;
        if (body.empty) setStatus("status.blank", { notice: body.notice });  // blank: say why, no prediction
        else setStatus("status.timing", { n: mine, server: (t.preprocess + t.model_and_encoding).toFixed(1),
          trip: Math.round(performance.now() - began) });
      }
    } catch (error) {
      if (error.name !== "AbortError") setStatus("status.failed", { error: error.message }, true);
    } finally {
      if (inflight === controller) inflight = null;
      if (dirty && !framePending) { framePending = true; requestAnimationFrame(pump); }
    }
  }

  // "503: Service Unavailable": the JSON detail of our own errors, or the text of the server's
  // (503 when it has too many connections, 408 when a request came too slowly).
  async function problem(answer) {
    const text = await answer.text();
    try { return `${answer.status}: ${JSON.parse(text).detail}`; } catch { return `${answer.status}: ${text.trim().slice(0, 200)}`; }
  }

  function setStatus(key, fields, isError) {
    const status = $("status");
    put(status, key, fields);
    status.classList.toggle("error", Boolean(isError));
  }

  // ---------------------------------------------------------------- prediction and bars
  const bars = [];
  function buildBars(classes) {
    const box = $("bars");
    box.replaceChildren();
    for (const name of classes) {
      const row = { name: putClass(el("span", "name"), name), track: el("span", "track"), fill: el("span", "fill"), pct: el("span", "pct", "") };
      row.track.append(row.fill);
      row.name.title = name;
      box.append(row.name, row.track, row.pct);
      bars.push(row);
    }
  }

  function showBars(probabilities, best) {
    probabilities.forEach((p, i) => {
      const row = bars[i];
      row.fill.style.width = `${(100 * p).toFixed(1)}%`;
      row.pct.textContent = best < 0 ? "" : `${(100 * p).toFixed(1)}%`;
      for (const part of [row.name, row.track, row.pct]) part.classList.toggle("top", i === best);
    });
  }

  function showResult(result) {
    state.result = result;
    state.input = decode(result.input);
    state.outputs = (result.activations || []).map(decode);
    const best = result.prediction;                // absent when the drawing is blank
    if (result.empty) $("predicted").textContent = "?"; else putClass($("predicted"), best.label);
    $("predicted").classList.toggle("long", !result.empty && best.label.length > 2);
    if (result.empty) put($("confidence"), "blank"); else put($("confidence"), "sure", { percent: (100 * best.probability).toFixed(1) });
    showBars(result.empty ? result.probabilities.map(() => 0) : result.probabilities, result.empty ? -1 : best.index);
    drawInput();
    state.views.forEach((view) => view.draw());
    if (state.hover) inspect(state.hover);
    document.body.dataset.predictions = String(Number(document.body.dataset.predictions || 0) + 1);
  }

  function showBlank() {
    state.result = null;
    state.input = null;
    state.outputs = [];
    delete $("predicted").dataset.i18n;
    $("predicted").textContent = "?";
    $("predicted").classList.remove("long");
    put($("confidence"), "draw_something");
    showBars(state.model.classes.map(() => 0), -1);
    drawInput();
    state.views.forEach((view) => view.draw());
    endInspect();
  }

  // ---------------------------------------------------------------- the input the network saw
  function drawInput(boxes) {
    const [h, w] = state.model.image_size;
    const input = state.input;
    const zoom = Math.max(1, Math.floor(168 / Math.max(h, w)));
    paintGrid($("input"), w, h, zoom, input ? (i) => input.level(0, i) : () => 0, GRAY, boxes);
  }

  // ---------------------------------------------------------------- layers
  function shapeText(shape) { return shape.join(" × "); }

  function buildLayers(model) {
    const box = $("layers");
    box.replaceChildren();
    state.views = model.layers.map((info, index) => {
      const row = el("div", "layer");
      const label = el("div", "label");
      label.append(el("b", "", info.name), el("span", "", `${info.type} · ${shapeText(info.output_shape)}`));
      if (info.window) {
        const k = info.window.kernel, s = info.window.stride;
        label.append(put(el("div", "note"), info.window.pad[0] ? "window_padded" : "window",
          { kh: k[0], kw: k[1], stride: s[0], pad: info.window.pad[0] }));
      }
      const maps = el("div", "maps");
      row.append(label, maps);
      box.append(row);
      return info.output_shape.length === 3 ? mapView(info, index, maps) : vectorView(info, index, maps);
    });
  }

  function mapView(info, index, box) {
    const [channels, h, w] = info.output_shape;
    const zoom = zoomFor(h, w, MAP_TARGET_PX);
    const canvases = [];
    for (let c = 0; c < Math.min(channels, MAX_MAPS); c++) {
      const canvas = el("canvas");
      canvas.width = w * zoom;
      canvas.height = h * zoom;
      canvas.title = T("map", { name: info.name, index: c });
      canvas.dataset.layer = String(index);
      if (info.window) {
        canvas.classList.add("hoverable");
        const point = (event) => {
          const x = Math.min(w - 1, Math.floor((event.offsetX / canvas.clientWidth) * w));
          const y = Math.min(h - 1, Math.floor((event.offsetY / canvas.clientHeight) * h));
          const spot = { layer: index, channel: c, y, x, clientX: event.clientX, clientY: event.clientY };
          const old = state.hover;
          if (!old || old.layer !== index || old.channel !== c || old.y !== y || old.x !== x) inspect(spot);
          else placeInspector(event.clientX, event.clientY);
        };
        canvas.addEventListener("pointermove", (event) => { if (event.pointerType === "mouse") point(event); });
        canvas.addEventListener("pointerdown", point);   // a tap on a touch screen
        canvas.addEventListener("pointerleave", (event) => { if (event.pointerType === "mouse") endInspect(); });
      }
      canvases.push(canvas);
      box.append(canvas);
    }
    if (channels > MAX_MAPS) box.append(put(el("span", "note"), "more_maps", { count: channels - MAX_MAPS }));
    const view = {
      canvases,
      draw(boxesFor) {
        const out = state.outputs[index];
        canvases.forEach((canvas, c) => paintGrid(canvas, w, h, zoom,
          out ? (i) => out.level(c, i) : () => 0, VIRIDIS, boxesFor ? boxesFor(c) : null));
      },
    };
    view.draw();
    return view;
  }

  function vectorView(info, index, box) {
    const size = info.output_shape.reduce((a, b) => a * b, 1);
    const cols = Math.min(size, 60);
    const rows = Math.ceil(size / cols);
    const canvas = el("canvas");
    canvas.title = T("values", { name: info.name, size });
    canvas.dataset.layer = String(index);
    box.append(canvas);
    const view = {
      canvases: [canvas],
      draw() {
        const out = state.outputs[index];
        paintGrid(canvas, cols, rows, 10, out ? (i) => (i < size ? out.level(0, i) : 0) : () => 0, VIRIDIS);
      },
    };
    view.draw();
    return view;
  }

  // ---------------------------------------------------------------- first-layer kernels
  function showKernels(model) {
    const first = model.layers.find((layer) => layer.kernels);
    if (!first) return;                       // the card keeps its "no convolution layer" note
    const kernels = decode(first.kernels);
    const [oc, ic, kh, kw] = first.kernels.shape;
    put($("kernels-note"), "kernels_note", { name: first.name, count: oc, ic, kh, kw });
    const box = $("kernels");
    const count = Math.min(oc * ic, MAX_MAPS);
    const side = count <= 8 ? 56 : count <= 24 ? 40 : 28;
    for (let m = 0; m < count; m++) {
      const canvas = el("canvas");
      canvas.title = ic > 1 ? T("kernel.channel", { index: Math.floor(m / ic), channel: m % ic }) : T("kernel", { index: m });
      const maxAbs = Math.max(Math.abs(kernels.min[m]), Math.abs(kernels.max[m]));
      paintGrid(canvas, kw, kh, Math.max(1, Math.round(side / Math.max(kh, kw))), (i) => signedLevel(kernels.value(m, i), maxAbs), DIVERGING);
      box.append(canvas);
    }
    if (oc * ic > MAX_MAPS) box.append(put(el("span", "note"), "more", { count: oc * ic - MAX_MAPS }));
  }

  // ---------------------------------------------------------------- inspector
  // The inspector floats beside the pointer, so it is in view wherever the map is.
  function placeInspector(clientX, clientY) {
    const panel = $("inspector");
    const gap = 18;
    const width = panel.offsetWidth, height = panel.offsetHeight;
    let left = clientX + gap, top = clientY + gap;
    if (left + width > window.innerWidth - 8) left = Math.max(8, clientX - gap - width);
    if (top + height > window.innerHeight - 8) top = Math.max(8, window.innerHeight - 8 - height);
    panel.style.left = `${left}px`;
    panel.style.top = `${top}px`;
  }

  function hideInspector() {
    $("inspector").hidden = true;
  }

  function endInspect() {
    if (!state.hover) return;
    state.hover = null;
    drawInput();
    state.views.forEach((view) => view.draw());
    hideInspector();
  }

  document.addEventListener("pointerdown", (event) => {
    if (!(event.target instanceof HTMLCanvasElement && event.target.classList.contains("hoverable"))) endInspect();
  });

  function inspect(spot) {
    state.hover = spot;
    const model = state.model;
    const info = model.layers[spot.layer];
    const { kernel: [kh, kw], stride: [sh, sw], pad: [pt, pl], dilation: [dh, dw] = [1, 1] } = info.window;
    const [inC, inH, inW] = info.input_shape;
    const top = spot.y * sh - pt, left = spot.x * sw - pl;
    const spanH = dh * (kh - 1) + 1, spanW = dw * (kw - 1) + 1;   // a dilated kernel's entries are D apart
    const isConv = Boolean(info.kernels);
    const channels = isConv ? [...Array(inC).keys()] : [spot.channel];
    const window = { x: left, y: top, w: spanW, h: spanH };

    // Outline the window where it was taken from, and the unit itself.
    const source = spot.layer === 0 ? null : state.views[spot.layer - 1];
    if (spot.layer === 0) drawInput([window]); else drawInput();
    state.views.forEach((view, i) => {
      if (view === source) view.draw((c) => (channels.includes(c) ? [window] : null));
      else if (i === spot.layer) view.draw((c) => (c === spot.channel ? [{ x: spot.x, y: spot.y, w: 1, h: 1, color: "#ff4d4f" }] : null));
      else view.draw();
    });

    const panel = $("inspector");
    const out = state.outputs[spot.layer];
    const value = out ? out.value(spot.channel, spot.y * info.output_shape[2] + spot.x) : null;
    panel.replaceChildren(el("div", "title",
      `${info.name} · map ${spot.channel} · unit (${spot.y}, ${spot.x})` + (value === null ? "" : ` = ${value.toFixed(3)}`)));
    const from = spot.layer === 0 ? "the input" : model.layers[spot.layer - 1].name;
    panel.append(el("div", "note",
      `It saw rows ${top}…${top + spanH - 1}, columns ${left}…${left + spanW - 1} of ${from}` +
      (dh > 1 || dw > 1 ? `, dilation ${dh === dw ? dh : `(${dh}, ${dw})`}` : "") +
      (top < 0 || left < 0 || top + spanH > inH || left + spanW > inW ? " (outside the image counts as 0)." : ".")));

    const pairs = el("div", "pairs");
    const src = spot.layer === 0 ? state.input : state.outputs[spot.layer - 1];
    const kernels = isConv ? decode(info.kernels) : null;
    const cellZoom = Math.max(6, Math.floor(60 / Math.max(kh, kw)));
    for (const c of channels.slice(0, MAX_INSPECT)) {
      const windowCanvas = el("canvas");
      paintGrid(windowCanvas, kw, kh, cellZoom, (i) => {
        const y = top + Math.floor(i / kw) * dh, x = left + (i % kw) * dw;
        if (!src || y < 0 || x < 0 || y >= inH || x >= inW) return 0;
        return src.level(c, y * inW + x);
      }, spot.layer === 0 ? GRAY : VIRIDIS);
      const figure = el("figure");
      figure.append(windowCanvas, el("div", "", inC > 1 ? `window, ch ${c}` : "window"));
      pairs.append(figure);
      if (kernels) {
        const m = spot.channel * inC + c;
        const maxAbs = Math.max(Math.abs(kernels.min[m]), Math.abs(kernels.max[m]));
        const kernelCanvas = el("canvas");
        paintGrid(kernelCanvas, kw, kh, cellZoom, (i) => signedLevel(kernels.value(m, i), maxAbs), DIVERGING);
        const kFigure = el("figure");
        kFigure.append(kernelCanvas, el("div", "", inC > 1 ? `kernel ${spot.channel}, ch ${c}` : `kernel ${spot.channel}`));
        pairs.append(kFigure);
      }
    }
    panel.append(pairs);
    if (channels.length > MAX_INSPECT) panel.append(el("div", "note", `… and ${channels.length - MAX_INSPECT} more input channels`));
    panel.append(el("div", "formula", isConv
      ? `value = b + Σ window ⊙ kernel, summed over ${inC} input channel${inC > 1 ? "s" : ""} and ${kh}×${kw} positions`
      : `${info.type.startsWith("Max") ? "value = the largest" : "value = the mean"} of the ${kh}×${kw} window`));
    panel.hidden = false;
    placeInspector(spot.clientX, spot.clientY);
  }

  // ---------------------------------------------------------------- samples
  async function loadSamples() {
    const answer = await fetch("/api/samples");
    const { samples } = await answer.json();
    const box = $("samples");
    if (!samples.length) { $("samples-box").hidden = true; return; }
    for (const sample of samples) {
      const button = el("button");
      button.type = "button";
      button.title = T("sample", { name: sample.name });
      button.dataset.label = sample.name;
      const thumb = el("canvas");
      const h = sample.pixels.length, w = sample.pixels[0].length;
      paintGrid(thumb, w, h, 1, (i) => sample.pixels[Math.floor(i / w)][i % w], GRAY);
      button.append(thumb);
      button.addEventListener("click", () => {
        history.push({ kind: "image", pixels: sample.pixels });
        redraw();
        wantPrediction(true);
      });
      box.append(button);
    }
  }

  // ---------------------------------------------------------------- start-up
  async function main() {
    redraw();
    try {
      const answer = await fetch("/api/model");
      state.model = await answer.json();
    } catch (error) {
      setStatus("status.unreachable", { error: error.message }, true);
      return;
    }
    const model = state.model;
    const badge = $("model-badge");
    delete badge.dataset.i18n;
    badge.replaceChildren(el("b", "", model.name), put(el("span"), "badge", { parameters: model.parameters.toLocaleString("en"),
      classes: model.classes.length, shape: shapeText(model.input_shape) }));
    if (model.language) window.GlassnetLang.suggest(model.language);  // the server's GLASSNET_LANG, if it says
    const digits = model.classes.every((name, i) => name === String(i));
    if (!digits) {
      put(document.querySelector("h1"), "h1.other");
      delete document.querySelector("title").dataset.i18n;
      document.title = `glassnet · ${model.name}`;
    }
    const text = model.preprocessing;
    if (digits && /centre of mass/.test(text)) put($("input-note"), "input_note.mnist");
    else put($("input-note"), "input_note", { text: `${text[0].toUpperCase()}${text.slice(1)}` });
    buildBars(model.classes);
    showBars(model.classes.map(() => 0), -1);
    showKernels(model);
    buildLayers(model);
    drawInput();
    await loadSamples().catch((error) => setStatus("status.no_samples", { error: error.message }, true));
    setStatus("status.ready");
    document.body.dataset.ready = "true";
  }

  main();
})();
