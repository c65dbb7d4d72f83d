"""The compiled tokenizer (annotator/formats/_tokens.c); everything else is in pyproject.toml.

The extension is optional: without a C compiler the install goes on, and tokens.py uses
its own Python code, which gives the same tokens (slower: BIO and Prodigy export).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "annotator.formats._tokens",
            ["annotator/formats/_tokens.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
