"""charset-normalizer, whose cp311 wheel holds compiled extension modules (md, cd: Cython
in 3.5.x, mypyc before) beside their .py sources; the extension wins, as in a venv."""

from __future__ import annotations

import os

import charset_normalizer
from charset_normalizer import cd, from_bytes, md

SAMPLES = {
    "french-cp1252": ("Bonjour, ceci est un texte français. Les élèves étudient à l'école "
                      "où l'été est très chaud et les œufs sont déjà prêts.", "cp1252"),
    "russian-koi8": ("Съешь же ещё этих мягких французских булок, да выпей чаю. "
                     "В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!", "koi8_r"),
    "greek-iso": ("Η γρήγορη καφέ αλεπού πηδά πάνω από το τεμπέλικο σκυλί. "
                  "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "iso8859_7"),
    "japanese-sjis": ("いろはにほへと　ちりぬるを　わかよたれそ　つねならむ。"
                      "日本語の文章を正しく判定できるかどうかを確かめます。", "shift_jis"),
    "utf8-bom": ("Καλημέρα κόσμε, こんにちは世界, привет мир", "utf_8_sig"),
    "ascii": ("plain old ascii text, nothing to see here", "ascii"),
}


def main() -> None:
    print("version:", charset_normalizer.__version__)
    # The compiled module wins over md.py; its functions are not plain Python functions.
    print("md compiled:", md.__file__.endswith(".so"), os.path.basename(md.__file__).split(".")[-1],
          type(md.mess_ratio).__name__)
    print("cd compiled:", cd.__file__.endswith(".so"), type(cd.encoding_languages).__name__)
    for name, (text, encoding) in SAMPLES.items():
        payload = text.encode(encoding)
        best = from_bytes(payload).best()
        if best is None:
            print(f"{name}: undetected")
            continue
        print(f"{name}: {best.encoding} lang={best.language} bom={best.bom} "
              f"roundtrip={str(best) == text.lstrip(chr(0xfeff))}")
    print("legacy detect:", charset_normalizer.detect("Ελληνικά γράμματα και λέξεις".encode("cp1253")))
    print("mess ratio:", round(md.mess_ratio("Hello, this is clean text."), 3),
          round(md.mess_ratio("H\u00e9ll\u00f6 \u00c3\u00a9\u00c3\u00a8 \u00e2\u20ac\u2122 junk"), 3))
    print("languages for cp1251:", cd.encoding_languages("cp1251"))


if __name__ == "__main__":
    main()
