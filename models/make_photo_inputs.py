"""Writes the real-photograph inputs for the int8-against-float comparisons of the development models
(QuantizedDevModelTests; see models/README.md for the photographs' attribution and docs/compression.md for the results).

    /usr/bin/python3 models/make_photo_inputs.py [images folder]

The images folder defaults to scikit-learn's bundled sample images (sklearn/datasets/images: china.jpg, flower.jpg,
both 640x427, CC BY 2.0). Each photograph is centre-cropped to a square and resized with PIL's Lanczos filter:

    photo_china_320.npy   uint8 [320,320,3] RGB  (M-LSD's input size; a building, many straight lines)
    photo_flower_128.npy  uint8 [128,128,3] RGB  (BlazeFace's input size)

and, from scikit-image's bundled astronaut.png (Eileen Collins, NASA, public domain; Debian's python3-skimage), the
256x256 square around her face (rows 2-257, columns 97-352) resized the same way:

    photo_astronaut_128.npy  uint8 [128,128,3] RGB  (a face at the size BlazeFace's front model looks for)

and scikit-image's camera.png (a man with a camera, grey, CC0 by Lav Varshney), the whole picture resized to 256x256,
its grey level in all three channels:

    photo_camera_256.npy  uint8 [256,256,3]  (calibration windows with a face in them)

Deterministic for a given Pillow version. The tests convert to each model's own value range and layout.
"""
import os
import sys

import numpy as np
from PIL import Image


def images_folder():
    if len(sys.argv) > 1:
        return sys.argv[1]
    import sklearn.datasets
    return os.path.join(os.path.dirname(sklearn.datasets.__file__), "images")


def square(path, size):
    image = Image.open(path).convert("RGB")
    w, h = image.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.LANCZOS)
    pixels = np.asarray(image, dtype=np.uint8)
    assert pixels.shape == (size, size, 3)
    return pixels


def main():
    folder = images_folder()
    here = os.path.dirname(os.path.abspath(__file__))
    for name, size in (("china", 320), ("flower", 128)):
        pixels = square(os.path.join(folder, name + ".jpg"), size)
        out = os.path.join(here, "photo_%s_%d.npy" % (name, size))
        np.save(out, pixels)
        report(out, pixels)
    import skimage.data
    face = Image.fromarray(skimage.data.astronaut()).crop((97, 2, 353, 258)).resize((128, 128), Image.LANCZOS)
    pixels = np.asarray(face, dtype=np.uint8)
    assert pixels.shape == (128, 128, 3)
    out = os.path.join(here, "photo_astronaut_128.npy")
    np.save(out, pixels)
    report(out, pixels)
    camera = Image.fromarray(skimage.data.camera()).resize((256, 256), Image.LANCZOS).convert("RGB")
    pixels = np.asarray(camera, dtype=np.uint8)
    assert pixels.shape == (256, 256, 3)
    out = os.path.join(here, "photo_camera_256.npy")
    np.save(out, pixels)
    report(out, pixels)


def report(out, pixels):
    print("%s: %s, mean %.1f, min %d, max %d" % (os.path.basename(out), pixels.shape, pixels.mean(), pixels.min(), pixels.max()))


if __name__ == "__main__":
    main()
