#!/usr/bin/env python3
"""The peer of `qcstation bench scan`: zxing-cpp (PyPI `zxing-cpp`) on the same image files.

Usage:  python3 -m venv .venv-qr && .venv-qr/bin/pip install zxing-cpp pillow numpy
        qcstation bench scan --data DIR --peer-python .venv-qr/bin/python

Reads image paths, one per line, on stdin. Each image becomes 8-bit grey as the station makes
it: transparent pixels laid over white, then luma (PIL's ITU-R 601 weights here, the image
crate's Rec. 709 weights in the station: a few grey levels apart on coloured pixels only). Then
zxing-cpp reads QR codes from it. Prints one JSON object per image: {"image", "texts", "ms"} where ms covers the decode
call only, then a last line {"peer": "zxing-cpp VERSION"}.
"""
import json, sys, time
from importlib.metadata import version

import numpy as np
import zxingcpp
from PIL import Image


def grey(path):
    im = Image.open(path)
    im.load()
    if im.mode in ('P', 'LA', 'PA', 'RGBA') or 'transparency' in im.info:
        im = im.convert('RGBA')
        im = Image.alpha_composite(Image.new('RGBA', im.size, (255, 255, 255, 255)), im)
    return np.ascontiguousarray(np.asarray(im.convert('L'), dtype=np.uint8))


def main():
    for line in sys.stdin:
        path = line.rstrip('\n')
        if not path:
            continue
        g = grey(path)
        t0 = time.perf_counter()
        found = zxingcpp.read_barcodes(g, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - t0) * 1000
        print(json.dumps({"image": path, "texts": [r.text for r in found], "ms": ms}))
    print(json.dumps({"peer": "zxing-cpp " + version('zxing-cpp')}))


if __name__ == '__main__':
    main()
