// What the four lesson pages share: talking to /api/lessons, number grids, sliders, the language.
// The pages only draw: every number they show comes from the server (glassnet's own layers), or is
// one the reader entered or drew at random. A page loads strings.js, lang.js, this file, then its own
// script, which calls GlassnetLesson.start(main).
//
// For the tests and for anyone curious: body[data-ready="true"] once the first answer is shown,
// body[data-answers] counts the answers shown, and every number cell carries data-value, the exact
// number the server sent (its text is that number rounded by fmt).
"use strict";

(() => {
  const { t: T, put } = window.GlassnetLang;

  const el = (tag, cls, text) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // A number as the pages print it: integers as they are, others to 3 decimals (trailing zeros dropped).
  function fmt(value) {
    const rounded = Number.isInteger(value) ? value : Number(value.toFixed(3));
    return String(Object.is(rounded, -0) ? 0 : rounded).replace("-", "−");
  }
  // In a sum, a negative number goes in parentheses: 3·(−1).
  const term = (value) => (value < 0 ? `(${fmt(value)})` : fmt(value));

  // ------------------------------------------------------------------ the server
  let infoPromise = null;
  function info() {
    if (!infoPromise) infoPromise = fetch("/api/lessons").then((answer) => answer.json());
    return infoPromise;
  }

  async function problem(answer) {
    const text = await answer.text();
    try { return JSON.parse(text).detail; } catch { return `${answer.status}: ${text.trim().slice(0, 200)}`; }
  }

  // POST body to /api/lessons/NAME; the newest call of each name wins (older ones are aborted).
  const inflight = {};
  async function api(name, body) {
    if (inflight[name]) inflight[name].abort();
    const controller = new AbortController();
    inflight[name] = controller;
    try {
      const answer = await fetch(`/api/lessons/${name}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!answer.ok) {
        const error = new Error(await problem(answer));
        error.status = answer.status;
        throw error;
      }
      return await answer.json();
    } finally {
      if (inflight[name] === controller) delete inflight[name];
    }
  }

  // Show an answer's problem (or clear it): the server's message names the field.
  function showProblem(node, error) {
    node.hidden = !error;
    if (error) put(node, "lesson.problem", { detail: error.message });
  }

  function answered() {
    document.body.dataset.answers = String(Number(document.body.dataset.answers || 0) + 1);
    document.body.dataset.ready = "true";
  }

  // ------------------------------------------------------------------ numbers
  // A small deterministic random stream (mulberry32), so "new numbers" can be replayed.
  function randomStream(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  // Nested arrays of the given shape, filled by make().
  function filled(shape, make) {
    if (!shape.length) return make();
    return Array.from({ length: shape[0] }, () => filled(shape.slice(1), make));
  }
  const integers = (random, low, high) => () => low + Math.floor(random() * (high - low + 1));

  // ------------------------------------------------------------------ grids
  // A grid of number cells. values: rows of numbers (null: an empty cell). options:
  //   pad: rings of padding cells around it (shown as 0), cls(r, c) -> extra classes (padded coordinates),
  //   onPick(r, c): pointerdown on a cell (mouse and touch), label: a caption above it, name: data-grid.
  function grid(values, options = {}) {
    const pad = options.pad || 0;
    const rows = values.length + 2 * pad, cols = (values[0] || []).length + 2 * pad;
    const box = el("div", "grid");
    box.style.gridTemplateColumns = `repeat(${cols}, var(--cell))`;
    if (options.name) box.dataset.grid = options.name;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const inside = r >= pad && c >= pad && r < rows - pad && c < cols - pad;
        const value = inside ? values[r - pad][c - pad] : 0;
        const cell = el("div", inside ? "cell" : "cell pad", value === null ? "" : fmt(value));
        if (value !== null) cell.dataset.value = String(value);
        cell.dataset.r = String(r - pad);
        cell.dataset.c = String(c - pad);
        const extra = options.cls ? options.cls(r - pad, c - pad) : "";
        if (extra) cell.className += ` ${extra}`;
        if (options.onPick) {
          cell.classList.add("pickable");
          cell.addEventListener("pointerdown", (event) => { event.preventDefault(); options.onPick(r - pad, c - pad); });
        }
        box.append(cell);
      }
    }
    return labelled(box, options.label);
  }

  // A grid of number inputs, the reader's own numbers: onChange(values) after each edit that is a number.
  function inputGrid(values, options = {}) {
    const box = el("div", "grid");
    box.style.gridTemplateColumns = `repeat(${values[0].length}, var(--cell))`;
    if (options.name) box.dataset.grid = options.name;
    const current = values.map((row) => row.slice());
    values.forEach((row, r) => row.forEach((value, c) => {
      const input = el("input");
      Object.assign(input, { type: "number", step: "any", value: String(value), inputMode: "decimal" });
      input.dataset.r = String(r);
      input.dataset.c = String(c);
      input.addEventListener("input", () => {
        const number = Number(input.value);
        const ok = input.value.trim() !== "" && Number.isFinite(number);
        input.classList.toggle("invalid", !ok);
        if (!ok) return;
        current[r][c] = number;
        options.onChange(current.map((line) => line.slice()));
      });
      box.append(input);
    }));
    return labelled(box, options.label);
  }

  // A grid in a figure, with a caption above it when there is a label: a text, or [key, fields] of the strings.
  function labelled(box, label) {
    const figure = el("figure", "grid-figure");
    if (label) {
      const caption = el("figcaption");
      if (typeof label === "string") caption.textContent = label; else put(caption, ...label);
      figure.append(caption);
    }
    figure.append(box);
    return figure;
  }

  // ------------------------------------------------------------------ controls
  // <input type="range" id=...> with an <output for=...> beside it: call onChange(value) on every change.
  function range(id, onChange) {
    const input = document.getElementById(id);
    const shown = document.querySelector(`output[for="${id}"]`);
    const update = () => { if (shown) shown.textContent = input.value; };
    input.addEventListener("input", () => { update(); onChange(Number(input.value)); });
    update();
    return {
      get value() { return Number(input.value); },
      set value(v) { input.value = String(v); update(); },
      input,
    };
  }

  // Buttons [data-choice] inside a group: one pressed at a time; onChange(value).
  function choices(groupId, onChange) {
    const group = document.getElementById(groupId);
    const buttons = [...group.querySelectorAll("button[data-choice]")];
    let current = (buttons.find((b) => b.getAttribute("aria-pressed") === "true") || buttons[0]).dataset.choice;
    const show = () => buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.choice === current)));
    buttons.forEach((button) => button.addEventListener("click", () => {
      current = button.dataset.choice;
      show();
      onChange(current);
    }));
    show();
    return { get value() { return current; } };
  }

  // The position after ``index`` in reading order over an array of ``shape`` (after the last: the first).
  function nextIndex(index, shape) {
    const next = index.slice();
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      next[axis] += 1;
      if (next[axis] < shape[axis]) return next;
      next[axis] = 0;
    }
    return next;
  }

  // The Play / Pause button: step() every 700 ms while playing. Returns {stop}.
  function player(button, step) {
    let timer = null;
    const stop = () => {
      if (timer) clearInterval(timer);
      timer = null;
      put(button, "lesson.play");
    };
    button.addEventListener("click", () => {
      if (timer) { stop(); return; }
      timer = setInterval(step, 700);
      put(button, "lesson.pause");
    });
    return { stop };
  }

  // Run main(info) once the page and the server's lesson info are there; the server's language first.
  function start(main) {
    document.addEventListener("DOMContentLoaded", async () => {
      try {
        const lessons = await info();
        window.GlassnetLang.suggest(lessons.language);
        await main(lessons);
      } catch (error) {
        const status = document.getElementById("status");
        if (status) { put(status, "status.unreachable", { error: error.message }); status.classList.add("error"); }
      }
    });
  }

  window.GlassnetLesson = { el, fmt, term, api, info, showProblem, answered, randomStream, filled, integers, grid,
    inputGrid, range, choices, nextIndex, player, start, T, put };
})();
