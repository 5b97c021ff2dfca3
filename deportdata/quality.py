"""Quality figures for the dataset card: the project's scorer run on a staged release against
the seed gold set, when the evaluation kit (../shared/eval) sits beside the repository."""
from __future__ import annotations

import importlib.util
from pathlib import Path


def seed_quality(release_folder: Path, eval_dir: Path) -> dict | None:
    score_py, gold = eval_dir / "score.py", eval_dir / "gold" / "seeds.jsonl"
    if not (score_py.exists() and gold.exists()):
        return None
    spec = importlib.util.spec_from_file_location("deportdata_seed_scorer", score_py)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.score(release_folder, gold, False)
    if result["articles_missing"]:
        return None  # the seeds are not in this release: the figures would mean nothing
    return {"gold": "seed articles (shared/eval/gold/seeds.jsonl)", "mention_f1": result["mentions"]["f1"],
            "field_accuracy": result["fields"]["accuracy"], "dedup_f1": result["dedup"]["f1"]}
