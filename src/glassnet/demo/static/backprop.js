// The backprop explorer: step 8 § 3's example with numbers. x, W, b and δ_in are drawn at random here (or
// typed in); POST /api/lessons/backprop answers z and the three gradients twice: from the course's formulas
// (glassnet's reference loops, ops/conv_reference.py) and from Conv2D.backward (the fast path). The page
// writes each formula's terms from the numbers it sent, with the course's value after the "=".
"use strict";

(() => {
  const L = window.GlassnetLesson;
  const { el, fmt, term, put } = L;
  const $ = (id) => document.getElementById(id);

  const SIDE = 3, K = 2;    // the course's example: a 3×3 input and 2×2 kernels (stride 1, no padding)
  const OUT = SIDE - K + 1;
  let channels = null, filters = null;
  let seed = 1;
  let numbers = null;       // {x: C×3×3, W: OC×C×2×2, b: OC}
  let delta = null;         // OC×2×2
  let shown = null;         // {numbers, delta, answer | error}

  const range = (n) => [...Array(n).keys()];

  function renew() {
    const random = L.randomStream(seed++);
    const C = Number(channels.value), OC = Number(filters.value);
    numbers = {
      x: L.filled([C, SIDE, SIDE], L.integers(random, 0, 4)),
      W: L.filled([OC, C, K, K], L.integers(random, -1, 2)),
      b: L.filled([OC], L.integers(random, 0, 1)),
    };
    if (!delta || delta.length !== OC) randomDelta();
  }

  function randomDelta() {
    delta = L.filled([Number(filters.value), OUT, OUT], L.integers(L.randomStream(500 + seed++), -2, 2));
    drawDelta();
  }

  async function ask() {
    const sent = numbers, sentDelta = delta;
    try {
      const answer = await L.api("backprop", { input: sent.x, kernel: sent.W, bias: sent.b, grad_output: sentDelta });
      shown = { numbers: sent, delta: sentDelta, answer };
    } catch (error) {
      if (error.name === "AbortError") return;
      shown = { numbers: sent, delta: sentDelta, error };
    }
    draw();
    L.answered();
  }

  // ------------------------------------------------------------------ drawing
  // δ_in is typed in: its inputs are drawn only when it is drawn anew, so typing keeps its focus.
  function drawDelta() {
    $("delta").replaceChildren(...delta.map((map, oc) => L.inputGrid(map, {
      name: `delta${oc}`, label: ["bp.delta", { oc }],
      onChange: (values) => { delta = delta.map((old, o) => (o === oc ? values : old)); ask(); },
    })));
  }

  // One line "left = Σ … = t1 + t2 + … = value", the value (the course's) in bold with its exact number.
  function line(left, terms, value) {
    const node = el("p", "formula");
    const result = Object.assign(el("b", "result", fmt(value)), { title: String(value) });
    result.dataset.value = String(value);
    node.append(el("span", "", `${left} = ${terms.join(" + ")} = `), result);
    return node;
  }

  const rot180 = (kernel) => kernel.map((row, m) => row.map((_, n) => kernel[K - 1 - m][K - 1 - n]));
  const padded = (map, r, c) => (r >= 1 && c >= 1 && r <= OUT && c <= OUT ? map[r - 1][c - 1] : 0);

  function drawForward() {
    const { x, W, b } = shown.numbers;
    const parts = x.map((channel, c) => L.grid(channel, { name: `x${c}`, label: ["bp.x", { c }] }));
    W.forEach((filter, oc) => {
      parts.push(...filter.map((kernel, c) => L.grid(kernel, { name: `W${oc}-${c}`, label: ["bp.w", { oc, c }] })),
        L.grid([[b[oc]]], { name: `b${oc}`, label: ["bp.b", { oc }] }));
      if (!shown.error) parts.push(L.grid(shown.answer.output[oc], { name: `z${oc}`, label: ["bp.z", { oc }] }));
    });
    $("forward").replaceChildren(...parts);
  }

  function drawFormulas() {
    const { x, W } = shown.numbers;
    const d = shown.delta;
    const course = shown.answer.course;
    const C = x.length, OC = W.length;
    // δ_b[oc] = Σ δ_in[oc]
    $("db-lines").replaceChildren(...range(OC).map((oc) => line(`δ_b[${oc}] = Σ δ_in[${oc}]`,
      d[oc].flat().map(term), course.grad_bias[oc])));
    // δ_W[oc, c, m, n] = Σ_i Σ_j x[c, i+m, j+n]·δ_in[oc, i, j]
    const dwLines = [];
    for (const oc of range(OC)) {
      for (const c of range(C)) {
        for (const m of range(K)) {
          for (const n of range(K)) {
            const terms = range(OUT).flatMap((i) => range(OUT).map((j) => `${term(x[c][i + m][j + n])}·${term(d[oc][i][j])}`));
            dwLines.push(line(`δ_W[${oc}, ${c}, ${m}, ${n}] = Σ x[${c}, i+${m}, j+${n}]·δ_in[${oc}, i, j]`, terms,
              course.grad_kernel[oc][c][m][n]));
          }
        }
      }
    }
    $("dw-lines").replaceChildren(...dwLines);
    $("dw-grids").replaceChildren(...range(OC).flatMap((oc) => range(C).map((c) =>
      L.grid(course.grad_kernel[oc][c], { name: `dW${oc}-${c}`, label: ["bp.dw", { oc, c }] }))));
    // δ_out[c, i, j] = Σ_oc Σ_m Σ_n pad(δ_in)[oc, i+m, j+n]·W^rot180[oc, c, m, n]
    const doutLines = [];
    for (const c of range(C)) {
      for (const i of range(SIDE)) {
        for (const j of range(SIDE)) {
          const terms = range(OC).flatMap((oc) => range(K).flatMap((m) => range(K).map((n) =>
            `${term(padded(d[oc], i + m, j + n))}·${term(rot180(W[oc][c])[m][n])}`)));
          doutLines.push(line(`δ_out[${c}, ${i}, ${j}] = Σ pad(δ_in)[oc, ${i}+m, ${j}+n]·W^rot180[oc, ${c}, m, n]`,
            terms, course.grad_input[c][i][j]));
        }
      }
    }
    $("dout-lines").replaceChildren(...doutLines);
    $("dout-grids").replaceChildren(
      ...d.map((map, oc) => L.grid(map, { pad: 1, name: `pad${oc}`, label: ["bp.pad_delta", { oc }] })),
      ...range(OC).flatMap((oc) => range(C).map((c) => L.grid(rot180(W[oc][c]), { name: `rot${oc}-${c}`,
        label: ["bp.rot", { oc, c }] }))),
      ...range(C).map((c) => L.grid(course.grad_input[c], { name: `dout${c}`, label: ["bp.dout", { c }] })));
  }

  function drawCheck() {
    const { answer } = shown;
    const C = shown.numbers.x.length, OC = shown.numbers.W.length;
    $("check-grids").replaceChildren(
      L.grid([answer.grad_bias], { name: "check-db", label: ["bp.check_db", {}] }),
      ...range(OC).flatMap((oc) => range(C).map((c) => L.grid(answer.grad_kernel[oc][c], { name: `check-dW${oc}-${c}`,
        label: ["bp.check_dw", { oc, c }] }))),
      ...range(C).map((c) => L.grid(answer.grad_input[c], { name: `check-dout${c}`, label: ["bp.check_dout", { c }] })));
    const check = $("check");
    put(check, answer.agree ? "bp.agree" : "bp.disagree");
    check.classList.toggle("bad", !answer.agree);
    check.dataset.agree = String(answer.agree);
  }

  function draw() {
    L.showProblem($("problem"), shown.error);
    drawForward();
    if (shown.error) {
      for (const id of ["db-lines", "dw-lines", "dw-grids", "dout-lines", "dout-grids", "check-grids", "check"]) {
        $(id).replaceChildren();
      }
      return;
    }
    drawFormulas();
    drawCheck();
  }

  // ------------------------------------------------------------------ start-up
  L.start(async () => {
    const reshape = () => { renew(); ask(); };
    channels = L.choices("channels", reshape);
    filters = L.choices("filters", reshape);
    $("renew").addEventListener("click", reshape);
    $("random-delta").addEventListener("click", () => { randomDelta(); ask(); });
    document.addEventListener("glassnet:language", () => { if (shown) draw(); });
    renew();
    await ask();
  });
})();
