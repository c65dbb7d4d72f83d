# The compiled offset helpers (_offsets.c); formats/compiled.py hands them out.
def place_doccano(
    texts: list[str], counts: list[int], starts: list[int], ends: list[int], unit: int, /
) -> tuple[list[int], list[int], list[int]] | None: ...
