// The kernel playground: a 3×3 or 5×5 kernel (the course's nine as presets, or your own numbers) slid over
// the course's test picture, a sample digit or your own picture; then ReLU, then max-pooling, as in step 8's
// figure. The maps come from POST /api/lessons/kernel (glassnet's Conv2D, ReLU, MaxPool2D); the page
// only draws them, and the contrast only changes the drawing.
"use strict";

(() => {
  const L = window.GlassnetLesson;
  const { el, fmt, put } = L;
  const $ = (id) => document.getElementById(id);

  const UPLOAD_SIDE = 160;  // a picture of your own is drawn into at most 160×160 pixels before it is sent
  const PANEL_PX = 256;     // each map is drawn this big (its longer side)
  const MAPS = [["conv", "kernels.panel_conv"], ["relu", "kernels.panel_relu"], ["pool", "kernels.panel_pool"]];

  let presets = [];         // the course's nine kernels, from /api/lessons
  let source = null;        // {kind, image: C×H×W pixels 0..255}
  let kernel = null;        // K×K
  let preset = "Sobel-x";   // the preset the kernel still equals, or null once edited
  let shown = null;         // {image, answer | error}
  let ksize = null;
  let contrast = null;

  // ------------------------------------------------------------------ the kernel
  function fromPreset(name, K) {
    const values = presets.find((entry) => entry.name === name).values;
    return centred(values, K);
  }

  // A kernel in a K×K frame: a smaller one in the middle (zeros around), a larger one's middle.
  function centred(values, K) {
    const off = (values.length - K) / 2;
    return L.filled([K, K], () => 0).map((row, r) => row.map((_, c) => {
      const y = r + off, x = c + off;
      return y >= 0 && x >= 0 && y < values.length && x < values.length ? values[y][x] : 0;
    }));
  }

  function drawKernel() {
    $("kernel-grid").replaceChildren(L.inputGrid(kernel, {
      name: "kernel", onChange: (values) => { kernel = values; preset = null; drawPresets(); ask(); },
    }));
    drawPresets();
  }

  function drawPresets() {
    $("presets").replaceChildren(...presets.map(({ name }) => {
      const button = put(el("button"), `kernel:${name}`);
      button.type = "button";
      button.dataset.kernel = name;
      button.setAttribute("aria-pressed", String(name === preset));
      button.addEventListener("click", () => {
        preset = name;
        kernel = fromPreset(name, Number(ksize.value));
        drawKernel();
        ask();
      });
      return button;
    }));
  }

  // ------------------------------------------------------------------ the picture
  function useSource(kind, image, button) {
    source = { kind, image };
    document.querySelectorAll("#sources button").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
    ask();
  }

  async function loadDigits() {
    const { samples } = await (await fetch("/api/samples")).json();
    $("digits").replaceChildren(...samples.map((sample) => {
      const button = el("button");
      button.type = "button";
      button.dataset.label = sample.name;
      button.title = L.T("sample", { name: sample.name });
      const thumb = el("canvas");
      paint(thumb, [sample.pixels], (v) => v);
      button.append(thumb);
      button.addEventListener("click", () => useSource("digit", [sample.pixels], button));
      return button;
    }));
  }

  async function readUpload(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, UPLOAD_SIDE / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale)), h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = el("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, w, h);
    const rgba = ctx.getImageData(0, 0, w, h).data;
    return [0, 1, 2].map((channel) => Array.from({ length: h }, (_, r) =>
      Array.from({ length: w }, (__, c) => rgba[(r * w + c) * 4 + channel])));
  }

  // ------------------------------------------------------------------ the server
  async function ask() {
    if (!source || !kernel) return;
    const image = source.image;
    try {
      const answer = await L.api("kernel", { image, kernel, pool: 2 });
      shown = { image, answer };
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = { image, error };
    }
    $("readout").textContent = "";   // a value read from the maps before this answer
    delete $("readout").dataset.value;
    drawPanels();
    L.answered();
  }

  // ------------------------------------------------------------------ drawing
  // Paint C×H×W channels (1: gray, 3: colour) with level(value) -> 0..255.
  function paint(canvas, channels, level) {
    const h = channels[0].length, w = channels[0][0].length;
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(w, h);
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const o = (r * w + c) * 4;
        for (let k = 0; k < 3; k++) image.data[o + k] = level(channels[channels.length === 3 ? k : 0][r][c]);
        image.data[o + 3] = 255;
      }
    }
    ctx.putImageData(image, 0, 0);
  }

  const shapeText = (shape) => `(${shape.join(", ")})`;

  function panel(canvas, captionKey, fields, map) {
    const figure = el("figure");
    figure.append(put(el("figcaption"), captionKey, fields), canvas);
    const [h, w] = [canvas.height, canvas.width];
    canvas.style.width = `${Math.round((PANEL_PX * w) / Math.max(h, w))}px`;
    canvas.style.height = `${Math.round((PANEL_PX * h) / Math.max(h, w))}px`;
    if (map) {
      canvas.dataset.map = map;
      const point = (event) => {
        const values = shown.answer[map];
        const y = Math.min(values.length - 1, Math.floor((event.offsetY / canvas.clientHeight) * values.length));
        const x = Math.min(values[0].length - 1, Math.floor((event.offsetX / canvas.clientWidth) * values[0].length));
        const value = values[y][x];
        const readout = $("readout");
        readout.textContent = `${map}[${y}, ${x}] = ${fmt(value)}`;
        readout.dataset.value = String(value);
      };
      canvas.addEventListener("pointermove", (event) => { if (event.pointerType === "mouse") point(event); });
      canvas.addEventListener("pointerdown", (event) => { event.preventDefault(); point(event); });
    }
    return figure;
  }

  function drawPanels() {
    L.showProblem($("problem"), shown.error);
    const source_ = el("canvas");
    paint(source_, shown.image, (v) => v);
    const figures = [panel(source_, "kernels.panel_source", { shape: shapeText([shown.image.length,
      shown.image[0].length, shown.image[0][0].length]) })];
    if (!shown.error) {
      const gain = contrast.value;
      for (const [map, key] of MAPS) {
        const values = shown.answer[map];
        const canvas = el("canvas");
        const top = Math.max(1e-12, ...values.map((row) => Math.max(...row.map(Math.abs))));
        const level = map === "conv"  // signed: mid-gray is 0
          ? (v) => 127.5 + 127.5 * Math.max(-1, Math.min(1, (gain * v) / top))
          : (v) => 255 * Math.max(0, Math.min(1, (gain * v) / top));
        paint(canvas, [values], level);
        figures.push(panel(canvas, key, { shape: shapeText([1, values.length, values[0].length]) }, map));
      }
    }
    $("panels").replaceChildren(...figures);
  }

  // ------------------------------------------------------------------ start-up
  L.start(async (lessons) => {
    presets = lessons.kernels;
    ksize = L.choices("ksize", (value) => {
      kernel = preset ? fromPreset(preset, Number(value)) : centred(kernel, Number(value));
      drawKernel();
      ask();
    });
    contrast = L.range("contrast", () => { if (shown) drawPanels(); });
    kernel = fromPreset(preset, 3);
    drawKernel();
    const picture = async () => (await fetch("/api/lessons/picture")).json();
    $("use-picture").addEventListener("click", async () => useSource("picture", (await picture()).image, $("use-picture")));
    $("upload").addEventListener("change", async () => {
      const file = $("upload").files[0];
      if (!file) return;
      try {
        useSource("upload", await readUpload(file), $("upload-button"));
      } catch {
        L.showProblem($("problem"), new Error(L.T("kernels.bad_file", { name: file.name })));
      }
    });
    document.addEventListener("glassnet:language", () => { if (shown) drawPanels(); });
    loadDigits().catch(() => { $("digits").hidden = true; });
    useSource("picture", (await picture()).image, $("use-picture"));
  });
})();
