"""Build a release from each evaluation set's raw/ folder in a temporary folder and score it against
the set's gold.jsonl with the shared scorer (../shared/eval/score.py).
Usage: python eval/score_dev.py [SET ...] [--misses] (make eval-dev scores every set)"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

from deportdata import stages

EVAL = Path(__file__).resolve().parent
DEV = EVAL / "dev"
SETS = (DEV, EVAL / "dev2" / "h1", EVAL / "dev2" / "h2", EVAL / "dev3" / "h3", EVAL / "dev3" / "h4")
SCORER = Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py"


def build_release(raw: Path, base: Path) -> Path:
    """The pipeline's stages without Prefect; returns the release's descriptor."""
    result = stages.run_in_order(stages.Workspace(raw=raw, processed=base / "processed", cache=base / "cache"))
    return Path(result.folder) / "datapackage.json"


def load_scorer(path: Path = SCORER):
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: the shared scorer sits in ../shared beside the repository")
    spec = importlib.util.spec_from_file_location("shared_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_dev(set_dir: Path = DEV, show_misses: bool = False) -> dict:
    scorer = load_scorer()
    with tempfile.TemporaryDirectory(prefix="deportdata-dev-eval-") as tmp:
        descriptor = build_release(set_dir / "raw", Path(tmp))
        return scorer.score(descriptor, set_dir / "gold.jsonl", show_misses)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sets", nargs="*", type=Path, default=list(SETS), help="evaluation set folders")
    parser.add_argument("--misses", action="store_true", help="list missed and false records")
    args = parser.parse_args(argv)
    for set_dir in args.sets:
        result = score_dev(set_dir.resolve(), args.misses)
        m, f, d = result["mentions"], result["fields"], result["dedup"]
        print(f"== {set_dir.resolve().relative_to(EVAL.parent)}")
        print(f"mentions  precision {m['precision']:.2f}  recall {m['recall']:.2f}  f1 {m['f1']:.2f}")
        print(f"fields    accuracy {f['accuracy']:.2f}  events exactly right {f['exact_events']}/{f['required_events']}")
        print(f"dedup     precision {d['precision']:.2f}  recall {d['recall']:.2f}  f1 {d['f1']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
