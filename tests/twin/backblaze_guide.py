"""The steps of Backblaze's guide "Pixeltable Integration with Backblaze B2", as a user runs them.

The guide's set-up (found in the stored page): `pip install pixeltable boto3`, then
`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_ENDPOINT_URL=https://s3.<region>
.backblazeb2.com` exported, then a boto3 `list_buckets()` call to verify the connection.
The rest of the page was not available offline; the later steps are written as the seed
describes them (s3:// image inserts, a video and a document insert, a CLIP embedding index,
a similarity query). Nothing here configures boto3: it runs on the environment alone.

The user's placeholders (bucket, object keys) come from the JSON file named by argv[1];
the model id is the one substitution (a tiny local CLIP instead of a hub model).
"""

import json
import sys

import boto3
import pixeltable as pxt
from pixeltable.functions.huggingface import clip

with open(sys.argv[1]) as handle:
    placeholders = json.load(handle)
BUCKET = placeholders["bucket"]
IMAGE_KEYS = placeholders["images"]
VIDEO_KEY = placeholders["video"]
DOCUMENT_KEY = placeholders["document"]
MODEL_ID = placeholders["model_id"]  # the guide: "openai/clip-vit-base-patch32"

# Verify your connection to Backblaze B2.
s3 = boto3.client("s3")
print("step 1 list_buckets:", [b["Name"] for b in s3.list_buckets()["Buckets"]], flush=True)

# Reference images stored in B2 directly with s3:// URLs.
pxt.create_dir("b2_demo", if_exists="ignore")
images = pxt.create_table("b2_demo.images", {"image": pxt.Image}, if_exists="replace")
images.insert([{"image": f"s3://{BUCKET}/{key}"} for key in IMAGE_KEYS])
print("step 2 images:", images.count(), flush=True)

# Video and documents work the same way.
videos = pxt.create_table("b2_demo.videos", {"video": pxt.Video}, if_exists="replace")
videos.insert([{"video": f"s3://{BUCKET}/{VIDEO_KEY}"}])
docs = pxt.create_table("b2_demo.docs", {"doc": pxt.Document}, if_exists="replace")
docs.insert([{"doc": f"s3://{BUCKET}/{DOCUMENT_KEY}"}])
print("step 3 video and document:", videos.count(), docs.count(), flush=True)

# Add a CLIP embedding index and search it.
images.add_embedding_index("image", embedding=clip.using(model_id=MODEL_ID))
sim = images.image.similarity(string="a red circle")
results = images.order_by(sim, asc=False).limit(3).select(images.image, score=sim).collect()
print("step 4 similarity:", len(results), "results", flush=True)
