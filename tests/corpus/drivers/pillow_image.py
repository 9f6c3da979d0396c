"""Pillow: compiled codecs that need auditwheel's bundled libraries (pillow.libs/).

PNG, JPEG and WebP go through C extensions linked against libz, libjpeg and
libwebp shipped in pillow.libs/, so the frozen app works only if both the
extensions and those libraries are extracted side by side.
"""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw, features


def main() -> None:
    image = Image.new("RGB", (64, 48), (20, 40, 60))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 40, 30), fill=(200, 120, 10))
    draw.line((0, 47, 63, 0), fill=(255, 255, 255), width=2)
    for codec in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        image.save(buffer, codec, quality=90) if codec != "PNG" else image.save(buffer, codec)
        decoded = Image.open(io.BytesIO(buffer.getvalue()))
        decoded.load()
        print(codec, decoded.size, decoded.mode, hashlib.sha256(decoded.tobytes()).hexdigest()[:16])
    print("features:", features.check("jpg"), features.check("webp"), features.check("zlib"))


if __name__ == "__main__":
    main()
