"""Where every benchmark writes its figures: reports/benchmarks/NAME.json."""

import json
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
FOLDER = PROJECT / "reports" / "benchmarks"


def save(name: str, figures: dict) -> Path:
    path = FOLDER / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {path.relative_to(PROJECT)}")
    return path
