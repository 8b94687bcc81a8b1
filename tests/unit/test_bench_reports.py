"""Every benchmark report is tied to the code and models it was measured on, and the README
and docs quote only figures that a current report or model card contains.

Reports: ``make bench`` (``bench/run_all.py``) runs every ``bench/<name>.py``, each writes
``bench/reports/<name>.md`` through ``bench._common.write_report``, which appends a stamp:
a ``<!-- bench-stamp {json} -->`` line with the commit, whether the tree was clean, the
command and the sha256 of every model file.

Quoted figures are tagged by linking them to their source: ``[0.579](models/cards/text_emotion.md)``
or ``[3.53x](bench/reports/face_vs_fer.md)`` (``../`` from docs/, ``../../`` from model cards). The link text, bold
and backticks removed, must occur verbatim in that file as a whole figure (``45`` is not
found inside ``0.45`` or ``145``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REPORTS = REPO / "bench" / "reports"
STAMP = re.compile(r"^<!-- bench-stamp (\{.*\}) -->$", re.MULTILINE)
QUOTE = re.compile(r"\[([^\]\[]*\d[^\]\[]*)\]\((?:\.\./)*((?:bench/reports|models/cards)/[\w-]+\.md)(?:#[^)]*)?\)")
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "models" / "cards").glob("*.md"))]


def bench_scripts() -> list[str]:
    return sorted(p.stem for p in (REPO / "bench").glob("*.py") if p.stem != "run_all" and not p.stem.startswith("_"))


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)


def test_make_bench_writes_every_report_and_every_report_has_a_benchmark() -> None:
    assert [p.stem for p in sorted(REPORTS.glob("*.md"))] == bench_scripts()


@pytest.mark.parametrize("name", bench_scripts())
def test_every_benchmark_writes_its_report_through_the_stamping_helper(name: str) -> None:
    source = (REPO / "bench" / f"{name}.py").read_text(encoding="utf-8")
    assert "report_main(" in source or "write_report(" in source
    assert ".write_text(" not in source.replace("config.write_text(", "")  # no unstamped report


@pytest.mark.parametrize("name", bench_scripts())
def test_every_report_carries_the_commit_and_model_hashes_it_was_measured_on(name: str) -> None:
    text = (REPORTS / f"{name}.md").read_text(encoding="utf-8")
    stamps = STAMP.findall(text)
    assert len(stamps) == 1, f"bench/reports/{name}.md has no stamp: rerun `make bench` (python -m bench.{name})"
    facts = json.loads(stamps[0])
    assert re.fullmatch(r"[0-9a-f]{40}", facts["commit"])
    assert git("merge-base", "--is-ancestor", facts["commit"], "HEAD").returncode == 0, (
        f"bench/reports/{name}.md was measured on {facts['commit'][:12]}, not in this branch's history"
    )
    assert facts["command"].startswith(f"python -m bench.{name}")
    assert facts["models"] and all(re.fullmatch(r"[0-9a-f]{64}", v) for v in facts["models"].values())


def quotes() -> list[tuple[str, int, str, str]]:
    found = []
    for doc in DOCS:
        for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
            for text, target in QUOTE.findall(line):
                if text.strip("`").endswith(".md"):  # a link naming the report, not a figure
                    continue
                found.append((str(doc.relative_to(REPO)), number, text, target))
    return found


def test_the_readme_and_docs_tag_their_quoted_figures() -> None:
    tagged = {target for *_, target in quotes()}
    for source in ("bench/reports/face_vs_fer.md", "bench/reports/e2e.md", "bench/reports/shots.md",
                   "models/cards/text_emotion.md", "models/cards/audio_emotion.md"):
        assert source in tagged


@pytest.mark.parametrize(("doc", "line", "figure", "target"), quotes())
def test_a_quoted_figure_is_in_its_current_report(doc: str, line: int, figure: str, target: str) -> None:
    wanted = " ".join(figure.replace("**", "").replace("`", "").split())
    source = " ".join((REPO / target).read_text(encoding="utf-8").replace("**", "").replace("`", "").split())
    # Whole figures only: "45" is not found inside "0.45" or "145".
    pattern = r"(?<![\w.])" + re.escape(wanted) + r"(?![\w]|\.\d)"
    assert re.search(pattern, source), f"{doc}:{line} quotes {wanted!r}, which {target} does not contain"
