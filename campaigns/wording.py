"""Numbers and moments in sentences: real plurals with thousands separators, percentages precise
enough to be true, and times of past events that never lie in the future."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`plural(2541, "lead")` -> "2,541 leads"; `plural(1, "reply", "replies")` -> "1 reply"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def distinct_percents(*shares: float, digits: int = 1, most: int = 4) -> list[str]:
    """Shares as percentages with the fewest decimals (at least `digits`) that keep unequal shares unequal.

    A bounce rate of 5.04% against a threshold of 5% reads "5.0%" and "5.0%" with one decimal, which
    says the guard paused on equal numbers; two decimals say "5.04%" and "5.00%".
    """
    for decimals in range(digits, most + 1):
        texts = [f"{share * 100:.{decimals}f}%" for share in shares]
        if all(texts[i] != texts[j] for i in range(len(shares)) for j in range(i) if shares[i] != shares[j]):
            return texts
    return texts


def compact_age(seconds: float) -> str:
    """ "40 s", "3 min", "2 h", "3 d": an age in the largest whole unit."""
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def happened_at(reported, now):
    """When something we were just told about happened: its reported time, but never later than
    `now`. A time in the future is a clock that runs ahead (the sandbox's accelerated calendar,
    or drift), and an event cannot have happened after we heard of it."""
    return min(reported, now) if reported else now
