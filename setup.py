"""The compiled helpers (annotator/formats/_tokens.c, _offsets.c); everything else is in
pyproject.toml.

The extensions are optional: without a C compiler the install goes on, and the formats
use their own Python code, which gives the same results (slower: BIO, Prodigy and doccano
export, doccano import).
"""

from setuptools import Extension, setup

SHARED = ["annotator/formats/_text_json.h"]

setup(
    ext_modules=[
        Extension(
            "annotator.formats._tokens",
            ["annotator/formats/_tokens.c"],
            depends=SHARED,
            optional=True,
            extra_compile_args=["-O2"],
        ),
        Extension(
            "annotator.formats._offsets",
            ["annotator/formats/_offsets.c"],
            depends=SHARED,
            optional=True,
            extra_compile_args=["-O2"],
        ),
    ]
)
