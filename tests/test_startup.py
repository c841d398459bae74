"""A fast start: annotators load their models when first used, small inputs run without a pool.

`thresher run` on a few documents should cost what the analysis costs, not the start-up of
a process pool and of every model in the package (benchmarks/startup.py prints the times).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GOOD_TEXT, read_jsonl_dir, write_jsonl
from thresher.annotator import LazyModel
from thresher.annotators import REGISTRY, build_annotators
from thresher.document import Document
from thresher.engines.local import BYTES_PER_WORKER, default_workers
from thresher.readers import discover_sources
from thresher.runner import run
from thresher.segments.segmenter import HtmlSegmenter, TextSegmenter

SRC = Path(__file__).resolve().parents[1] / "src"

# Run in a fresh interpreter, so no model is cached yet from an earlier test: it records the
# files Python opens (its `open` audit event: builtins, io, gzip, NumPy's loads) during `ACTION`.
_RECORD_OPENS = """
import sys
from thresher.annotators import build_annotators
from thresher.safety.toxicity_model import MODEL_PATH, ToxicityModel
opened = None
def hook(event, args):
    if opened is not None and event == "open":
        opened.append(str(args[0]))
sys.addaudithook(hook)
opened = []
ACTION
print(opened)
"""


def opened_files(action: str) -> str:
    script = _RECORD_OPENS.replace("ACTION", action)
    return _python(script)


def _python(script: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )  # fmt: skip
    return result.stdout.strip()


def test_the_recorder_sees_a_model_load() -> None:
    assert "toxicity.npz" in opened_files("ToxicityModel.load(MODEL_PATH)")


def test_building_every_annotator_opens_no_file() -> None:
    assert opened_files("annotators = build_annotators()") == "[]"
    assert [a.name for a in build_annotators()] == list(REGISTRY)


def test_models_load_on_first_use_and_only_where_needed() -> None:
    text_segmenter, html_segmenter = TextSegmenter(), HtmlSegmenter()
    documents = [Document(id="a", text=GOOD_TEXT)]
    html_segmenter.annotate(documents)  # no HTML source: nothing for it to do
    text_segmenter.annotate(documents)
    assert documents[0].analysis.segments
    assert "_lazy_model" in vars(text_segmenter)
    assert "_lazy_model" not in vars(html_segmenter)


def test_lazy_model_loads_once_per_instance_and_can_be_replaced() -> None:
    calls: list[int] = []

    def loader() -> str:
        calls.append(1)
        return "shipped"

    class Annotator:
        model: LazyModel[str] = LazyModel(loader)

    first, second = Annotator(), Annotator()
    assert calls == []
    assert first.model == "shipped" and first.model == "shipped"
    assert calls == [1]
    second.model = "injected"
    assert second.model == "injected" and calls == [1]
    assert isinstance(Annotator.model, LazyModel)


def _sized(path: Path, size: int) -> Path:
    with path.open("wb") as handle:  # sparse: stat sees the size, the disk holds nothing
        handle.truncate(size)
    return path


def test_default_workers_follow_the_input_size(tmp_path: Path) -> None:
    small = write_jsonl(tmp_path / "small.jsonl", [{"id": "a", "text": GOOD_TEXT}])
    assert default_workers(discover_sources([small])[0], cores=4) == 1
    two_and_a_half = _sized(tmp_path / "mid.jsonl", BYTES_PER_WORKER * 5 // 2)
    assert default_workers(discover_sources([two_and_a_half])[0], cores=4) == 3
    assert default_workers(discover_sources([two_and_a_half])[0], cores=2) == 2
    # a compressed file stands for about 4x its bytes of text
    compressed = _sized(tmp_path / "c.jsonl.zst", BYTES_PER_WORKER // 2)
    assert default_workers(discover_sources([compressed])[0], cores=8) == 2
    folder = tmp_path / "pages"
    folder.mkdir()
    for i in range(3):
        _sized(folder / f"{i}.txt", BYTES_PER_WORKER)
    assert default_workers(discover_sources([folder])[0], cores=8) == 3
    assert default_workers([], cores=8) == 1


def test_a_small_run_stays_in_process_and_writes_what_a_pool_writes(tmp_path: Path) -> None:
    records = [{"id": f"d{i}", "text": f"Story {i}.\n{GOOD_TEXT}"} for i in range(30)]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    default = run([source], tmp_path / "default", batch_docs=4)
    pooled = run([source], tmp_path / "pooled", workers=2, batch_docs=4)
    assert default["workers"] == 1 and pooled["workers"] == 2
    for part in ("kept", "removed"):
        assert read_jsonl_dir(tmp_path / "default" / part) == read_jsonl_dir(tmp_path / "pooled" / part)
    limited = run([source], tmp_path / "limited", limit=3, batch_docs=4)
    assert limited["workers"] == 1 and limited["read"] == 3


@pytest.mark.parametrize("module", ["thresher", "thresher.cli"])
def test_importing_the_package_or_the_command_line_loads_no_numpy_or_arrow(module: str) -> None:
    script = f"import sys, {module}; print(sorted(m for m in ('numpy', 'pyarrow') if m in sys.modules))"
    assert _python(script) == "[]"


def _after_one_record_run(tmp_path: Path, printed: str, env: dict[str, str] | None = None) -> str:
    """What `printed` (a Python expression) gives in a fresh interpreter after `thresher run` on one record."""
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": GOOD_TEXT}])
    script = (
        "import os, sys; from thresher.cli import main; "
        f"main(['run', {str(source)!r}, '-o', {str(tmp_path / 'out')!r}, '--quiet', '--no-report']); "
        f"print({printed})"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True,
        env={**(os.environ if env is None else env), "PYTHONPATH": str(SRC)},
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def test_a_jsonl_run_does_not_import_pyarrow(tmp_path: Path) -> None:
    assert _after_one_record_run(tmp_path, "'pyarrow' in sys.modules") == "False"


def test_a_one_process_run_imports_no_pool_machinery_and_a_plain_policy_no_byo(tmp_path: Path) -> None:
    modules = "sorted(m for m in ('multiprocessing', 'concurrent.futures', 'thresher.byo') if m in sys.modules)"
    assert _after_one_record_run(tmp_path, modules) == "[]"


def test_the_policy_knows_every_bring_your_own_table() -> None:
    from thresher.byo.settings import TABLES
    from thresher.policy import _BYO_TABLES

    assert _BYO_TABLES == TABLES


def test_the_command_asks_for_one_blas_thread_unless_told(tmp_path: Path) -> None:
    # NumPy's OpenBLAS starts a thread per core at import; `thresher` needs none of them.
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_NUM_THREADS"}
    threads = "os.environ.get('OPENBLAS_NUM_THREADS')"
    assert _after_one_record_run(tmp_path, threads, env) == "1"
    assert _after_one_record_run(tmp_path, threads, {**env, "OPENBLAS_NUM_THREADS": "3"}) == "3"
