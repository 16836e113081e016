"""Run inside the twin as one role: put media in the bucket, then run the guide unchanged.

`python -m tests.twin.seed_runner ROLE_PREFIX CLIP_DIR` uploads the smoke fixtures under
the role's prefix (the user's bucket already holds media), writes the guide's placeholders
(the model id: a tiny CLIP checkpoint built by smoke/tiny_clip.py in CLIP_DIR) and runs
`backblaze_guide.py` in a temporary Pixeltable home whose PostgreSQL is stopped and
removed afterwards, whatever the guide does.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import tempfile
from pathlib import Path

import boto3

from infra.core import runtime_env as env
from smoke.context import fixtures_prefix_for
from smoke.media_fixtures import build_fixtures, upload_fixtures
from smoke.pixeltable_home import temporary_pixeltable_home

GUIDE = Path(__file__).with_name("backblaze_guide.py")


def main() -> int:
    role_prefix, model_id = sys.argv[1], sys.argv[2]
    bucket = os.environ[env.BUCKET]
    fixtures = build_fixtures()
    keys = upload_fixtures(boto3.client("s3"), bucket, fixtures_prefix_for(role_prefix)).keys
    with tempfile.TemporaryDirectory(prefix="pxb2-seed-") as work:
        placeholders = {
            "bucket": bucket,
            "images": [keys[f.name] for f in fixtures if f.kind == "image"],
            "video": next(keys[f.name] for f in fixtures if f.kind == "video"),
            "document": next(keys[f.name] for f in fixtures if f.name.endswith(".pdf")),
            "model_id": model_id,
        }
        values = Path(work) / "placeholders.json"
        values.write_text(json.dumps(placeholders))
        print("seed: fixtures in place, running the guide", flush=True)
        with temporary_pixeltable_home():
            sys.argv = [str(GUIDE), str(values)]
            runpy.run_path(str(GUIDE), run_name="__main__")
    print("seed: guide finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
