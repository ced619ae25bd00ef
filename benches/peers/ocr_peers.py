"""OCR peers for `qcstation bench ocr`: reads image paths on stdin, prints one JSON line per image
with the lines each peer read. First line: {"peer": NAME} per engine.

Usage: python ocr_peers.py rapidocr            (PyPI rapidocr with onnxruntime)
       python ocr_peers.py tesseract PSM       (Debian tesseract-ocr; page segmentation mode,
                                                 whitelist of the label alphabet)
The station fields these lines with its own rules, so only the reading is compared.
"""
import json
import subprocess
import sys
import time

WHITELIST = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/:.# "


def rapidocr_engine():
    from rapidocr import RapidOCR
    import rapidocr
    engine = RapidOCR()
    version = getattr(rapidocr, "__version__", "?")

    def read(path):
        result = engine(path)
        texts = result.txts or ()
        scores = result.scores or ()
        return [{"text": t, "confidence": float(s)} for t, s in zip(texts, scores)]

    return f"RapidOCR {version} (onnxruntime)", read


def tesseract_engine(psm):
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split("\n")[0]

    def read(path):
        out = subprocess.run(
            ["tesseract", path, "stdout", "--psm", psm, "-c", f"tessedit_char_whitelist={WHITELIST}"],
            capture_output=True, text=True)
        # Plain-text output has no confidence: 0.9 is a stand-in above the fielding's default
        # threshold (0.80), so every line Tesseract prints is fielded (not a measured figure).
        return [{"text": line.strip(), "confidence": 0.9} for line in out.stdout.splitlines() if line.strip()]

    return f"{version} --psm {psm}", read


def main():
    kind = sys.argv[1]
    name, read = rapidocr_engine() if kind == "rapidocr" else tesseract_engine(sys.argv[2])
    print(json.dumps({"peer": name}), flush=True)
    for raw in sys.stdin:
        path = raw.strip()
        if not path:
            continue
        started = time.perf_counter()
        try:
            lines = read(path)
            error = None
        except Exception as err:  # a peer failure on one image is that image's miss
            lines, error = [], str(err)
        ms = (time.perf_counter() - started) * 1e3
        print(json.dumps({"image": path, "lines": lines, "ms": ms, "error": error}), flush=True)


if __name__ == "__main__":
    main()
