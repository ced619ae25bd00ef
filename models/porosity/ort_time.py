"""Times porenet.onnx on onnxruntime (the peer `qcstation bench inspect` compares tract with).

Same input as the station: the grey image /255, minus its mean, over its deviation (floor
0.02), padded by edge replication to a multiple of 8. One thread, like tract. Prints one JSON
line: {"median_ms", "runs", "onnxruntime", "shape"}.

    python models/porosity/ort_time.py MODEL IMAGE [--runs 30]
"""
import argparse
import json
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

MIN_STD = 0.02  # must match src/vision/detect/network.rs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("image")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    grey = np.asarray(Image.open(args.image).convert("L"), dtype=np.float32) / 255.0
    x = (grey - grey.mean()) / max(float(grey.std()), MIN_STD)
    h, w = x.shape
    x = np.pad(x, ((0, (-h) % 8), (0, (-w) % 8)), mode="edge")[None, None]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    session.run(None, {"image": x})  # warm-up
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        session.run(None, {"image": x})
        times.append((time.perf_counter() - started) * 1e3)
    print(json.dumps({"median_ms": float(np.median(times)), "runs": args.runs,
                      "onnxruntime": ort.__version__, "shape": list(x.shape)}))


if __name__ == "__main__":
    main()
