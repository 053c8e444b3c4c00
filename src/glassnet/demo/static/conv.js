// The convolution explorer: choose the sizes, slide the window, read one output's sum written out.
// The numbers x, W, b are drawn at random here (small integers); z and its shape come from
// POST /api/lessons/conv (glassnet's Conv2D). The page writes the sum's terms from x and W as sent.
"use strict";

(() => {
  const L = window.GlassnetLesson;
  const { el, fmt, term } = L;
  const $ = (id) => document.getElementById(id);

  const controls = {};
  let seed = 1;
  let numbers = null;      // {x: C×H×W, W: OC×C×K×K, b: OC} as sent
  let shown = null;        // the answer drawn: {params, numbers, output | error}
  let selected = { oc: 0, i: 0, j: 0 };
  let playing = null;      // the Play / Pause button (lesson.js)

  const params = () => Object.fromEntries(Object.entries(controls).map(([name, control]) => [name, control.value]));

  function renew() {
    const p = params();
    const random = L.randomStream(seed++);
    numbers = {
      x: L.filled([p.channels, p.size, p.size], L.integers(random, 0, 5)),
      W: L.filled([p.filters, p.channels, p.kernel, p.kernel], L.integers(random, -1, 2)),
      b: L.filled([p.filters], L.integers(random, 0, 2)),
    };
  }

  async function ask() {
    const p = params();
    const sent = numbers;
    try {
      const answer = await L.api("conv", { input: sent.x, kernel: sent.W, bias: sent.b, stride: p.stride,
        padding: p.padding, dilation: p.dilation });
      shown = { params: p, numbers: sent, output: answer.output, shape: answer.output_shape };
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = { params: p, numbers: sent, error };
      playing.stop();
    }
    draw();
    L.answered();
  }

  // ------------------------------------------------------------------ selection, play, step
  function clamp() {
    if (!shown || shown.error) return;
    const [OC, OH, OW] = shown.shape;
    selected = { oc: Math.min(selected.oc, OC - 1), i: Math.min(selected.i, OH - 1), j: Math.min(selected.j, OW - 1) };
  }

  function select(oc, i, j) {
    selected = { oc, i, j };
    draw();
  }

  function step() {
    if (!shown || shown.error) return;
    select(...L.nextIndex([selected.oc, selected.i, selected.j], shown.shape));
  }

  // ------------------------------------------------------------------ drawing
  // Input rows and columns (unpadded coordinates) the selected output's window reads: r = i·S + ki·D − P.
  function windowCells(p) {
    const cells = new Map();
    for (let ki = 0; ki < p.kernel; ki++) {
      for (let kj = 0; kj < p.kernel; kj++) {
        const r = selected.i * p.stride + ki * p.dilation - p.padding;
        const c = selected.j * p.stride + kj * p.dilation - p.padding;
        cells.set(`${r},${c}`, [ki, kj]);
      }
    }
    return cells;
  }

  function drawSizeFormula(p) {
    const filled = `(${p.size} + 2·${p.padding} − ${p.dilation}·(${p.kernel}−1) − 1) // ${p.stride} + 1`;
    const result = shown.error ? "?" : String(shown.shape[1]);
    $("size-formula").textContent = `OH = OW = (H + 2P − D·(KH−1) − 1) // S + 1 = ${filled} = ${result}`;
    $("size-formula").dataset.value = result;
  }

  // z[oc, i, j] = b + Σ x·w = b + (x·w + …) + (…) = value: one group of terms per input channel.
  function drawSum(p) {
    const formula = $("sum-formula");
    formula.replaceChildren();
    if (shown.error) return;
    const { x, W, b } = shown.numbers;
    const { oc, i, j } = selected;
    const groups = x.map((channel, c) => {
      const terms = [];
      for (let ki = 0; ki < p.kernel; ki++) {
        for (let kj = 0; kj < p.kernel; kj++) {
          const r = i * p.stride + ki * p.dilation - p.padding, col = j * p.stride + kj * p.dilation - p.padding;
          const inside = r >= 0 && col >= 0 && r < p.size && col < p.size;
          terms.push(`${term(inside ? channel[r][col] : 0)}·${term(W[oc][c][ki][kj])}`);
        }
      }
      return `(${terms.join(" + ")})`;
    });
    const value = shown.output[oc][i][j];
    formula.append(el("span", "", `z[${oc}, ${i}, ${j}] = b + Σ x·w = ${term(b[oc])} + ${groups.join(" + ")} = `),
      Object.assign(el("b", "result", fmt(value)), { title: String(value) }));
    formula.lastChild.dataset.value = String(value);
  }

  function draw() {
    const p = shown.params;
    const { x, W, b } = shown.numbers;
    clamp();
    drawSizeFormula(p);
    drawSum(p);
    L.showProblem($("problem"), shown.error);
    const cells = shown.error ? new Map() : windowCells(p);
    $("inputs").replaceChildren(...x.map((channel, c) => L.grid(channel, {
      pad: p.padding, name: `x${c}`, label: ["conv.grid_x", { c }],
      cls: (r, col) => (cells.has(`${r},${col}`) ? "win" : ""),
    })));
    $("kernels").replaceChildren(...W.map((filter, oc) => {
      const row = el("div", "grids");
      row.append(...filter.map((kernel, c) => L.grid(kernel, {
        name: `W${oc}-${c}`, label: ["conv.grid_w", { oc, c }],
        cls: () => (oc === selected.oc && !shown.error ? "active" : ""),
      })), L.grid([[b[oc]]], { name: `b${oc}`, label: ["conv.grid_b", { oc }] }));
      return row;
    }));
    $("outputs").replaceChildren(...(shown.error ? [] : shown.output.map((map, oc) => L.grid(map, {
      name: `z${oc}`, label: ["conv.grid_z", { oc }],
      cls: (r, c) => (oc === selected.oc && r === selected.i && c === selected.j ? "sel" : ""),
      onPick: (r, c) => { playing.stop(); select(oc, r, c); },
    }))));
  }

  // ------------------------------------------------------------------ start-up
  L.start(async () => {
    const reshape = () => { renew(); ask(); };
    for (const name of ["size", "channels", "kernel", "filters"]) controls[name] = L.range(name, reshape);
    for (const name of ["stride", "padding", "dilation"]) controls[name] = L.range(name, () => ask());
    $("renew").addEventListener("click", reshape);
    playing = L.player($("play"), step);
    $("step").addEventListener("click", () => { playing.stop(); step(); });
    document.addEventListener("glassnet:language", () => { if (shown) draw(); });
    renew();
    await ask();
  });
})();
