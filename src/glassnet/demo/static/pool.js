// The pooling explorer: max or average, any window and stride; the forward value of one output and
// where its gradient goes. x and δ are drawn at random here (small integers, so ties happen); y, dL/dx
// and each output's route come from POST /api/lessons/pool (glassnet's MaxPool2D / AvgPool2D).
"use strict";

(() => {
  const L = window.GlassnetLesson;
  const { el, fmt, term, put } = L;
  const $ = (id) => document.getElementById(id);

  const controls = {};
  let mode = null;
  let seed = 1;
  let x = null;            // H×W input
  let grad = null;         // OH×OW gradient arriving from above
  let shown = null;        // {params, x, grad, answer | error}
  let selected = { i: 0, j: 0 };
  let playing = null;      // the Play / Pause button (lesson.js)

  const params = () => ({ mode: mode.value, size: controls.size.value, window: controls.window.value,
    stride: controls.stride.value });

  function renew() {
    const random = L.randomStream(seed++);
    x = L.filled([controls.size.value, controls.size.value], L.integers(random, 0, 5));
    grad = null;
  }

  // Two questions: the output's shape (to draw δ for it), then the forward and backward pass with δ.
  async function ask() {
    const p = params();
    const sent = x;
    const body = { input: sent, mode: p.mode, size: p.window, stride: p.stride };
    try {
      const first = await L.api("pool", body);
      const [OH, OW] = first.output_shape;
      if (!grad || grad.length !== OH || grad[0].length !== OW) {
        grad = L.filled([OH, OW], L.integers(L.randomStream(1000 + seed++), 1, 5));
      }
      const answer = await L.api("pool", { ...body, grad_output: grad });
      shown = { params: p, x: sent, grad, answer };
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = { params: p, x: sent, error };
      playing.stop();
    }
    draw();
    L.answered();
  }

  // ------------------------------------------------------------------ selection, play, step
  function select(i, j) {
    selected = { i, j };
    draw();
  }

  function step() {
    if (!shown || shown.error) return;
    select(...L.nextIndex([selected.i, selected.j], shown.answer.output_shape));
  }

  // ------------------------------------------------------------------ drawing
  function inWindow(p, r, c) {
    const top = selected.i * p.stride, left = selected.j * p.stride;
    return r >= top && r < top + p.window && c >= left && c < left + p.window;
  }

  function drawFormulas(p) {
    const forward = $("forward-formula");
    const backward = $("backward-formula");
    forward.replaceChildren();
    backward.replaceChildren();
    put($("backward-note"), "pool.overlap");
    if (shown.error) return;
    const { i, j } = selected;
    const values = [];
    for (let r = 0; r < p.window; r++) {
      for (let c = 0; c < p.window; c++) values.push(shown.x[i * p.stride + r][j * p.stride + c]);
    }
    const y = shown.answer.output[i][j];
    const result = Object.assign(el("b", "result", fmt(y)), { title: String(y) });
    result.dataset.value = String(y);
    const sum = p.mode === "max" ? `max(${values.map(fmt).join(", ")})`
      : `(${values.map(term).join(" + ")}) / (${p.window}·${p.window})`;
    forward.append(el("span", "", `y[${i}, ${j}] = ${sum} = `), result);

    const delta = shown.grad[i][j];
    const line = el("span");
    if (p.mode === "max") {
      const [r, c] = shown.answer.max_at[i][j];
      put(line, "pool.max_route", { i, j, delta: fmt(delta), r, c });
      line.dataset.route = `${r},${c}`;
    } else {
      const share = shown.answer.share[i][j];
      put(line, "pool.avg_share", { i, j, delta: term(delta), k: p.window, share: fmt(share) });
      line.dataset.value = String(share);
    }
    backward.append(line);
  }

  function draw() {
    const p = shown.params;
    if (!shown.error) {
      const [OH, OW] = shown.answer.output_shape;
      selected = { i: Math.min(selected.i, OH - 1), j: Math.min(selected.j, OW - 1) };
    }
    L.showProblem($("problem"), shown.error);
    drawFormulas(p);
    const route = shown.error || p.mode !== "max" ? null : shown.answer.max_at[selected.i][selected.j];
    const isRoute = (r, c) => route && route[0] === r && route[1] === c;
    $("x-grid").replaceChildren(L.grid(shown.x, {
      name: "x", cls: (r, c) => (isRoute(r, c) ? "route" : !shown.error && inWindow(p, r, c) ? "win" : ""),
    }));
    if (shown.error) {
      for (const id of ["y-grid", "delta-grid", "dx-grid"]) $(id).replaceChildren();
      return;
    }
    const pick = (r, c) => { playing.stop(); select(r, c); };
    const here = (r, c) => (r === selected.i && c === selected.j ? "sel" : "");
    $("y-grid").replaceChildren(L.grid(shown.answer.output, { name: "y", cls: here, onPick: pick }));
    $("delta-grid").replaceChildren(L.grid(shown.grad, { name: "delta", cls: here, onPick: pick }));
    $("dx-grid").replaceChildren(L.grid(shown.answer.grad_input, {
      name: "dx",
      cls: (r, c) => (isRoute(r, c) ? "route" : p.mode === "avg" && inWindow(p, r, c) ? "win"
        : shown.answer.grad_input[r][c] === 0 ? "zero" : ""),
    }));
  }

  // ------------------------------------------------------------------ start-up
  L.start(async () => {
    mode = L.choices("mode", () => ask());
    controls.size = L.range("size", () => { renew(); ask(); });
    for (const name of ["window", "stride"]) controls[name] = L.range(name, () => ask());
    $("renew").addEventListener("click", () => { renew(); ask(); });
    playing = L.player($("play"), step);
    $("step").addEventListener("click", () => { playing.stop(); step(); });
    document.addEventListener("glassnet:language", () => { if (shown) draw(); });
    renew();
    await ask();
  });
})();
