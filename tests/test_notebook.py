"""Jupyter: the progress bar redrawn in place, a model's summary as HTML, figures as PNG cell results."""
from __future__ import annotations

import importlib.util
import io as stdio
import sys
import time

import pytest

import glassnet.progress as progress
from glassnet import Sequential, notebook, optimizers
from glassnet.layers import Dense, Flatten, ReLU


def make_model(name: str = "tiny") -> Sequential:
    model = Sequential([Flatten(), Dense(8), ReLU(), Dense(3)], input_shape=(1, 4, 4), seed=0, name=name)
    model.compile(optimizers.Adam(lr=0.01), "cross_entropy", metrics=["accuracy"])
    return model


# ---------------------------------------------------------------------------------
# The summary as HTML
# ---------------------------------------------------------------------------------
def test_model_html_is_the_summary_table():
    model = make_model()
    page = model._repr_html_()
    assert page.startswith("<div><table>") and page.count("<tr>") == 1 + len(model.layers)
    for layer in model.layers:
        assert f"{layer.name} ({type(layer).__name__})" in page
    assert "(None, 8)" in page and "<td" in page and ">136</td>" in page and ">27</td>" in page
    assert f"Total params: {model.count_params():,}" in page and "Non-trainable params: 0" in page
    assert "Model: &quot;tiny&quot;" in page
    assert repr(model).startswith("Sequential([")  # the terminal's repr is unchanged


def test_model_html_escapes_names():
    model = make_model(name="<b>net</b> & co")
    model.layers[1].name = "<script>alert(1)</script>"
    page = model._repr_html_()
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (Dense)" in page and "&lt;b&gt;net&lt;/b&gt; &amp; co" in page


def test_unbuilt_model_has_no_html():
    assert Sequential([Dense(3)])._repr_html_() is None


# ---------------------------------------------------------------------------------
# The progress bar under a kernel: one output per epoch, updated in place, throttled
# ---------------------------------------------------------------------------------
class FakeHandle:
    def __init__(self, bundle):
        self.shown = [bundle["text/plain"]]

    def update(self, bundle, raw=False):
        assert raw
        self.shown.append(bundle["text/plain"])


class FakeDisplay:
    """IPython's display(..., display_id=True): records each handle it returns."""

    def __init__(self):
        self.handles: list[FakeHandle] = []

    def __call__(self, bundle, raw=False, display_id=None):
        assert raw and display_id is True
        self.handles.append(FakeHandle(bundle))
        return self.handles[-1]


class FakeClock:
    """time.perf_counter advancing 1 ms a call: 1,000 steps take about a second."""

    def __init__(self):
        self.now = 100.0

    def perf_counter(self):
        self.now += 0.001
        return self.now


class FakeTerminal(stdio.StringIO):
    def isatty(self) -> bool:
        return True


def run_epoch(bar: progress.ProgressBar, steps: int = 1000, epochs: int = 1) -> None:
    """Drive ``bar`` through ``epochs`` epochs of ``steps`` fast steps, as fit does."""
    bar.set_params({"epochs": epochs, "steps": steps})
    bar.on_train_begin()
    for epoch in range(epochs):
        bar.on_epoch_begin(epoch)
        for step in range(steps):
            bar.on_batch_end(step, {"batch": step, "size": 8, "loss": 1.0 / (step + 1)})
        bar.on_epoch_end(epoch, {"loss": 0.001, "accuracy": 0.5})
    bar.on_train_end()


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progress.time, "perf_counter", fake.perf_counter)
    return fake


def test_progress_in_a_kernel_updates_one_output_per_epoch_at_most_ten_times_a_second(monkeypatch, clock):
    display = FakeDisplay()
    monkeypatch.setattr(progress, "kernel_display", lambda: display)
    run_epoch(progress.ProgressBar(1), steps=1000, epochs=2)
    assert len(display.handles) == 2
    for epoch, handle in enumerate(display.handles, 1):
        # about one second at 10 redraws a second, plus the first text and the final line
        assert 5 <= len(handle.shown) <= 14, len(handle.shown)
        assert handle.shown[0] == f"Epoch {epoch}/2"
        assert all(text.startswith(f"Epoch {epoch}/2\n") for text in handle.shown[1:])
        assert "ETA: " in handle.shown[1] and "\r" not in "".join(handle.shown) and "\033" not in "".join(handle.shown)
        final = handle.shown[-1].splitlines()
        assert len(final) == 2 and final[1].startswith("1000/1000 [==============================] - 1s 1ms/step")
        assert final[1].endswith(" - loss: 0.0010 - accuracy: 0.5000")


def test_progress_on_a_terminal_is_throttled_and_ends_on_the_final_line(clock):
    out = FakeTerminal()
    run_epoch(progress.ProgressBar(1, stream=out), steps=1000)
    text = out.getvalue()
    assert 5 <= text.count("\r") <= 14
    assert text.startswith("Epoch 1/1\n\r") and text.endswith(" - loss: 0.0010 - accuracy: 0.5000\033[K\n")
    assert text.rsplit("\r", 1)[1].startswith("1000/1000 [==============================] - 1s 1ms/step")


def test_progress_with_its_own_stream_ignores_the_kernel(monkeypatch, clock):
    display = FakeDisplay()
    monkeypatch.setattr(progress, "kernel_display", lambda: display)
    out = stdio.StringIO()
    run_epoch(progress.ProgressBar(1, stream=out), steps=10)
    assert display.handles == [] and out.getvalue().count("\n") == 2 and "\r" not in out.getvalue()
    run_epoch(progress.ProgressBar(2), steps=10)  # verbose=2 prints its line per epoch
    assert display.handles == []


def test_no_kernel_outside_jupyter(monkeypatch):
    assert notebook.kernel_display() is None
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    assert notebook.kernel_display() is None  # and IPython was not imported to find out
    assert "IPython" not in sys.modules


def test_live_text_sends_only_changes():
    display = FakeDisplay()
    live = notebook.LiveText(display, "a")
    live.update("a")
    live.update("b")
    assert display.handles[0].shown == ["a", "b"]


# ---------------------------------------------------------------------------------
# A real notebook: nbclient runs three cells on an ipykernel
# ---------------------------------------------------------------------------------
NOTEBOOK_CELLS = [
    """\
import numpy as np
import glassnet as gn
from glassnet.layers import Dense, Flatten, ReLU
rng = np.random.default_rng(0)
y = rng.integers(0, 3, 480)
x = (np.random.default_rng(1).normal(size=(3, 1, 4, 4))[y] + 0.3 * rng.normal(size=(480, 1, 4, 4))).astype(np.float32)
model = gn.Sequential([Flatten(), Dense(8), ReLU(), Dense(3)], input_shape=(1, 4, 4), seed=0, name="cellnet")
model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=3, batch_size=4, verbose=1)""",
    "model",
    "gn.viz.plot_history(history.history)",
]


@pytest.mark.slow
def test_a_real_notebook_shows_live_progress_the_model_table_and_a_figure(tmp_path):
    missing = [name for name in ("ipykernel", "nbclient", "nbformat") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"running a notebook needs {', '.join(missing)} (pip install ipykernel nbclient nbformat)")
    import nbformat
    from nbclient import NotebookClient

    class CountingClient(NotebookClient):
        """Counts the kernel's messages of each type, and times the fit cell."""

        def process_message(self, msg, cell, cell_index):
            kind = msg["header"]["msg_type"]
            if cell_index == 0:
                self.counts[kind] = self.counts.get(kind, 0) + 1
                self.times.append(time.perf_counter())
            return super().process_message(msg, cell, cell_index)

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    client = CountingClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.counts, client.times = {}, []
    client.execute()
    fit_cell, model_cell, figure_cell = (cell.outputs for cell in nb.cells)

    # 360 batches in 3 epochs: one output per epoch, replaced in place at most 10 times a
    # second (+ the last batch and the epoch's line), not a line per batch
    assert all(out.output_type == "display_data" for out in fit_cell), fit_cell
    assert len(fit_cell) == 3 and client.counts["display_data"] == 3 and "stream" not in client.counts
    seconds = client.times[-1] - client.times[0]
    assert 3 <= client.counts["update_display_data"] <= 10 * seconds + 3 * 3, (client.counts, seconds)
    for epoch, out in enumerate(fit_cell, 1):
        lines = out.data["text/plain"].splitlines()
        assert lines[0] == f"Epoch {epoch}/3" and len(lines) == 2
        assert lines[1].startswith("120/120 [==============================] - ") and " - accuracy: " in lines[1]

    (model_out,) = model_cell
    page = model_out.data["text/html"]
    assert "Model: &quot;cellnet&quot;" in page and "dense_" in page and "Total params: 163" in page
    assert model_out.data["text/plain"].startswith("Sequential([")

    (figure_out,) = figure_cell
    assert figure_out.data["image/png"]  # base64 text of a PNG
    assert figure_out.data["text/plain"].startswith("<")
