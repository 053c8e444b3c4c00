"""The language setting (GLASSNET_LANG, the locale, --lang), its catalogues, and Chinese text in figures."""
from __future__ import annotations

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from glassnet import i18n
from glassnet.data.registry import DATASETS
from glassnet.i18n import class_name, get_language, kernel_name, set_language, tr
from glassnet.viz import _figure, commands
from glassnet.viz.playground import CLASSIC_KERNELS, plot_conv_relu_pool, plot_kernel_playground

FASHION_ZH = ["T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
KERNELS_ZH = ["锐化", "检测竖边", "周边", "Sobel-Y", "原图", "横边检测", "模糊", "Sobel-X", "浮雕"]
CJK = "WenQuanYi Micro Hei"


@pytest.fixture(autouse=True)
def clean_language(monkeypatch):
    """No language chosen, no GLASSNET_LANG, an English locale; the font state of _figure restored afterwards."""
    for name in ("GLASSNET_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setattr(_figure, "_warned_no_font", False)
    yield


@pytest.fixture
def with_cjk_font(monkeypatch):
    """A CJK family in matplotlib's font list: the real one when installed (so glyphs are checked), else named."""
    real = CJK in _figure.installed_font_families()
    monkeypatch.setattr(_figure, "installed_font_families", lambda: {"DejaVu Sans", CJK})
    return real


@pytest.fixture
def without_cjk_font(monkeypatch):
    monkeypatch.setattr(_figure, "installed_font_families", lambda: {"DejaVu Sans", "DejaVu Serif"})


def titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


# --- the setting --------------------------------------------------------------------------------


def test_default_is_english_and_locale_decides(monkeypatch):
    assert get_language() == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert get_language() == "zh"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")  # LC_ALL comes before LANG
    assert get_language() == "en"
    monkeypatch.delenv("LC_ALL")
    monkeypatch.setenv("LC_MESSAGES", "C")
    assert get_language() == "en"
    assert i18n.locale_language({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_GB"}) == "zh"
    assert i18n.locale_language({}) == "en"


def test_environment_variable_beats_locale(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.setenv("GLASSNET_LANG", "en")
    assert get_language() == "en"
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("GLASSNET_LANG", "zh")
    assert get_language() == "zh"
    monkeypatch.setenv("GLASSNET_LANG", "fr")
    with pytest.raises(ValueError, match=r"unknown language 'fr' in \$GLASSNET_LANG; expected one of: en, zh"):
        get_language()


def test_set_language_overrides_and_returns_the_previous_choice(monkeypatch):
    monkeypatch.setenv("GLASSNET_LANG", "en")
    assert set_language("zh") is None
    assert get_language() == "zh"
    assert set_language("zh_CN") == "zh"
    assert set_language(None) == "zh"
    assert get_language() == "en"
    for bad in ("fr", "", "chinese"):
        with pytest.raises(ValueError, match="unknown language .* expected one of: en, zh"):
            set_language(bad)
    assert get_language() == "en"


# --- the catalogue ------------------------------------------------------------------------------


def test_every_dataset_has_its_class_names_in_both_languages():
    for key, info in DATASETS.items():
        names = list(info.class_names)
        english = [tr(f"class:{n}", "en") for n in names]
        chinese = [i18n.CATALOGUES["zh"][f"class:{n}"] for n in names]  # a KeyError names a missing entry
        assert english == names, key  # English stays exactly as the data modules spell it
        assert len(chinese) == len(names) and len(set(chinese)) == len(set(names)), key


def test_fashion_mnist_and_kernel_names_are_the_courses():
    assert i18n.class_names(DATASETS["fashion_mnist"].class_names, "zh") == FASHION_ZH
    assert [kernel_name(k, "zh") for k in CLASSIC_KERNELS] == KERNELS_ZH
    assert [kernel_name(k, "en") for k in CLASSIC_KERNELS] == list(CLASSIC_KERNELS)
    assert i18n.class_names(DATASETS["mnist"].class_names, "zh") == [str(d) for d in range(10)]


def test_catalogues_have_the_same_keys_and_tr_falls_back_to_english(monkeypatch):
    assert set(i18n.CATALOGUES["zh"]) == set(i18n.CATALOGUES["en"])
    monkeypatch.setitem(i18n.CATALOGUES, "en", {**i18n.en.MESSAGES, "test:hello": "hello {who}"})
    set_language("zh")
    assert tr("test:hello", who="you") == "hello you"  # missing in zh: the English text
    assert tr("kernel:blur") == "模糊" and tr("kernel:blur", "en") == "blur"
    assert class_name("Dress") == "连衣裙" and class_name("my own class") == "my own class"
    with pytest.raises(KeyError):
        tr("no such key")


# --- figures --------------------------------------------------------------------------------------


def test_english_figures_are_unchanged(with_cjk_font):
    fig = plot_kernel_playground()
    assert titles(fig) == list(CLASSIC_KERNELS)
    assert fig.cjk_font is None


def test_playground_in_chinese(with_cjk_font):
    set_language("zh")
    fig = plot_kernel_playground()
    assert titles(fig) == KERNELS_ZH
    assert fig.cjk_font == CJK
    assert titles(plot_conv_relu_pool(kernel="emboss"))[1].startswith("卷积结果 (浮雕)")
    if with_cjk_font:  # the real font: drawn without a missing glyph
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*missing from font")
            fig.canvas.draw()


def test_cli_lang_draws_chinese_class_names(monkeypatch, tmp_path, with_cjk_font, capsys):
    from glassnet.cli import main
    from glassnet.data.mnist import FASHION_MNIST

    rng = np.random.default_rng(0)
    fake = SimpleNamespace(x_train=rng.random((10, 1, 8, 8)).astype(np.float32), y_train=np.arange(10),
                           x_test=rng.random((2, 1, 8, 8)).astype(np.float32), y_test=np.arange(2),
                           class_names=FASHION_MNIST.class_names)
    monkeypatch.setattr(commands, "load_dataset", lambda name: fake)
    drawn = []
    monkeypatch.setattr(_figure, "save_png", lambda fig, path: drawn.append(fig))
    argv = ["viz", "samples", "--dataset", "fashion_mnist", "--count", "10", "--out", str(tmp_path / "s.png")]
    assert main(["--lang", "zh", *argv]) == 0
    assert titles(drawn[-1]) == FASHION_ZH and drawn[-1].cjk_font == CJK
    assert get_language() == "en"  # --lang held for that command only
    assert main(["--lang", "en", *argv]) == 0
    assert titles(drawn[-1]) == list(FASHION_MNIST.class_names)
    assert main(["--lang", "fr", *argv]) == 2
    assert "invalid choice: 'fr'" in capsys.readouterr().err


def test_evaluation_figures_in_chinese(with_cjk_font):
    from glassnet.viz.evaluation import plot_confusion_matrix, plot_predictions, plot_probabilities

    set_language("zh")
    names = DATASETS["fashion_mnist"].class_names
    cm = plot_confusion_matrix(np.eye(10, dtype=np.int64), names)
    assert [t.get_text() for t in cm.axes[0].get_yticklabels()] == FASHION_ZH
    pred = plot_predictions(np.zeros((2, 1, 8, 8)), [3, 8], [3, 9], names)
    assert titles(pred) == ["连衣裙 (连衣裙)", "短靴 (包)"]
    probs = plot_probabilities(np.eye(10)[3], names, image=np.zeros((1, 8, 8)), true_label=3)
    assert "真实：连衣裙" in titles(probs) and "预测：连衣裙（100.0%）" in titles(probs)


def test_without_a_cjk_font_one_warning_and_english(without_cjk_font):
    set_language("zh")
    with pytest.warns(UserWarning, match="apt-get install fonts-noto-cjk") as caught:
        fig = plot_kernel_playground()
    assert len([w for w in caught if "fonts-noto-cjk" in str(w.message)]) == 1
    assert titles(fig) == list(CLASSIC_KERNELS) and fig.cjk_font is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once: the next figure is quiet
        assert titles(plot_kernel_playground()) == list(CLASSIC_KERNELS)


def test_the_first_installed_cjk_family_is_chosen(monkeypatch):
    monkeypatch.setattr(_figure, "installed_font_families",
                        lambda: {"DejaVu Sans", "WenQuanYi Zen Hei", "Noto Sans CJK JP"})
    assert _figure.cjk_font() == "Noto Sans CJK JP"  # earlier in CJK_FAMILIES
    monkeypatch.setattr(_figure, "installed_font_families", lambda: {"DejaVu Sans"})
    assert _figure.cjk_font() is None
