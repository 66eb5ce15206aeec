"""Bounded integers and numbers as EBNF, digit by digit.

xgrammar 0.1.27's own JSON Schema compiler gets integer ranges wrong, so the
ranges are written here as plain alternatives over digit strings: for
[lo, hi] each digit count between those of lo and hi gets its own branch, and
a branch of fixed width is split on its leading digit (the classic
range-to-regex expansion). Numbers with bounds have no exponent (as
llguidance's do) and are split the same way on their integer part; the
fraction is compared digit by digit as a decimal string, so the bounds hold
exactly for the decimal text (a text that rounds onto an exclusive bound as a
float is the one case a float validator sees differently).

Forms written: integers `0 | -?[1-9][0-9]*` (no `-0` and no leading zeros
inside a range; an unbounded integer allows `-0`, as llguidance does);
bounded numbers the same integer part with an optional `.` and digits.
Standard library only (DESIGN.md, decision 1).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

from .ebnf_text import EMPTY, alternation, char_class, group, literal, repeat, sequence

DIGIT = "[0-9]"
NONZERO = "[1-9]"
UNBOUNDED_INTEGER = '"-"? ("0" | [1-9] [0-9]*)'
FRACTION = '("." [0-9]+)?'
EXPONENT = '([eE] [-+]? [0-9]+)?'
UNBOUNDED_NUMBER = f"{UNBOUNDED_INTEGER} {FRACTION} {EXPONENT}"


def _digits(lo: int, hi: int) -> str:
    """One digit in lo..hi."""
    if lo == hi:
        return literal(str(lo))
    if (lo, hi) == (0, 9):
        return DIGIT
    return char_class(((ord("0") + lo, ord("0") + hi),))


def _any_digits(count: int) -> str:
    return repeat(DIGIT, count, count) if count else EMPTY


def _same_width(lo: str, hi: str) -> str:
    """Digit strings of this width from lo to hi (lo <= hi, leading zeros allowed)."""
    if lo == hi:
        return literal(lo)
    width = len(lo)
    if lo == "0" * width and hi == "9" * width:
        return _any_digits(width)
    first_lo, first_hi = int(lo[0]), int(hi[0])
    rest = width - 1
    if first_lo == first_hi:
        return sequence(literal(lo[0]), _same_width(lo[1:], hi[1:]))
    branches = []
    low_whole = lo[1:] == "0" * rest  # the lowest first digit takes every tail
    high_whole = hi[1:] == "9" * rest
    middle_lo = first_lo if low_whole else first_lo + 1
    middle_hi = first_hi if high_whole else first_hi - 1
    if not low_whole:
        branches.append(sequence(literal(lo[0]), _same_width(lo[1:], "9" * rest)))
    if middle_lo <= middle_hi:
        branches.append(sequence(_digits(middle_lo, middle_hi), _any_digits(rest)))
    if not high_whole:
        branches.append(sequence(literal(hi[0]), _same_width("0" * rest, hi[1:])))
    return alternation(branches)


def _natural_range(lo: int, hi: Optional[int]) -> str:
    """Non-negative integers lo..hi without leading zeros (hi None: no upper bound)."""
    branches = []
    width_lo = len(str(lo))
    last_width = len(str(hi)) if hi is not None else width_lo
    for width in range(width_lo, last_width + 1):
        start = max(lo, 10 ** (width - 1) if width > 1 else 0)
        stop = min(hi, 10 ** width - 1) if hi is not None else 10 ** width - 1
        if start <= stop:
            branches.append(_same_width(str(start).zfill(width), str(stop).zfill(width)))
    if hi is None:  # every longer number
        branches.append(sequence(NONZERO, repeat(DIGIT, width_lo, None)))
    return alternation(branches)


def integer_range(lo: Optional[int], hi: Optional[int]) -> str:
    """Integers with lo <= n <= hi (either bound may be None)."""
    if lo is None and hi is None:
        return UNBOUNDED_INTEGER
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"empty integer range {lo}..{hi}")
    branches = []
    if lo is None or lo < 0:  # negatives: "-" and a magnitude
        top = None if lo is None else -lo
        bottom = 1 if hi is None or hi >= 0 else -hi
        branches.append(sequence(literal("-"), group(_natural_range(bottom, top))))
    if hi is None or hi >= 0:
        branches.append(_natural_range(max(lo or 0, 0), hi))
    return alternation(branches)


# ------------------------------------------------------------------ numbers with bounds

Fraction = tuple[bool, Optional[str]]  # (the empty digit string fits, expression of the non-empty ones)


def _fraction_digits(lo: str, lo_strict: bool, hi: Optional[str], hi_strict: bool) -> Fraction:
    """Digit strings S with lo <= 0.S <= hi (strict where said); hi None: no upper bound.

    lo and hi are fraction digits without trailing zeros ("" is 0).
    """
    if hi is None and not lo:  # above zero (strict) or any digits
        return (False, '"0"* [1-9] [0-9]*') if lo_strict else (True, "[0-9]+")
    if hi is not None and not lo and not hi:  # 0 <= 0.S <= 0: zeros only
        if lo_strict or hi_strict:
            return False, None
        return True, '"0"+'
    empty_fits = not lo and not lo_strict and (hi is None or bool(hi) or not hi_strict)
    first_lo = int(lo[0]) if lo else 0
    first_hi = 9 if hi is None else int(hi[0]) if hi else 0
    branches = []

    def starting_with(digits: str, tail: Fraction) -> None:
        fits, rest = tail
        if rest is None:
            if fits:
                branches.append(digits)
            return
        branches.append(sequence(digits, f"{group(rest)}?" if fits else group(rest)))

    if first_lo == first_hi and hi is not None:
        starting_with(literal(str(first_lo)), _fraction_digits(lo[1:], lo_strict, hi[1:], hi_strict))
    else:
        starting_with(literal(str(first_lo)), _fraction_digits(lo[1:], lo_strict, None, False))
        if first_lo + 1 <= first_hi - (0 if hi is None else 1):
            middle_hi = first_hi if hi is None else first_hi - 1
            starting_with(_digits(first_lo + 1, middle_hi), (True, "[0-9]+"))
        if hi is not None:
            starting_with(literal(str(first_hi)), _fraction_digits("", False, hi[1:], hi_strict))
    return empty_fits, alternation(branches) if branches else None


def _split(value: Decimal) -> tuple[int, str]:
    """A non-negative decimal as (integer part, fraction digits without trailing zeros)."""
    text = format(value, "f")
    whole, _, fraction = text.partition(".")
    return int(whole), fraction.rstrip("0")


def _with_fraction(integer: str, fraction: Fraction) -> Optional[str]:
    fits, rest = fraction
    if rest is None:
        return integer if fits else None
    tail = sequence(literal("."), group(rest))
    return sequence(integer, f"({tail})?" if fits else group(tail))


def _magnitude_range(lo: Decimal, lo_strict: bool, hi: Optional[Decimal], hi_strict: bool) -> Optional[str]:
    """Non-negative decimals from lo to hi, as digits with an optional fraction."""
    lo_int, lo_frac = _split(lo)
    if hi is not None:
        hi_int, hi_frac = _split(hi)
        if lo_int == hi_int:
            return _with_fraction(literal(str(lo_int)), _fraction_digits(lo_frac, lo_strict, hi_frac, hi_strict))
    branches = [_with_fraction(literal(str(lo_int)), _fraction_digits(lo_frac, lo_strict, None, False))]
    if hi is None:
        branches.append(sequence(group(_natural_range(lo_int + 1, None)), FRACTION))
    else:
        if lo_int + 1 <= hi_int - 1:
            branches.append(sequence(group(_natural_range(lo_int + 1, hi_int - 1)), FRACTION))
        branches.append(_with_fraction(literal(str(hi_int)), _fraction_digits("", False, hi_frac, hi_strict)))
    kept = [b for b in branches if b is not None]
    return alternation(kept) if kept else None


def _decimal(value: int | float | None) -> Optional[Decimal]:
    if value is None:
        return None
    return Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))


def number_range(minimum=None, exclusive_minimum=None, maximum=None, exclusive_maximum=None) -> str:
    """JSON numbers within the bounds; without bounds any number (with an exponent)."""
    if minimum is exclusive_minimum is maximum is exclusive_maximum is None:
        return UNBOUNDED_NUMBER
    lo_strict = exclusive_minimum is not None
    lo = _decimal(exclusive_minimum if lo_strict else minimum)
    hi_strict = exclusive_maximum is not None
    hi = _decimal(exclusive_maximum if hi_strict else maximum)
    branches = []
    zero = Decimal(0)
    if lo is None or lo < 0:  # negatives: "-" and a magnitude above zero
        top, top_strict = (None, False) if lo is None else (-lo, lo_strict)
        if hi is None or hi >= 0:
            bottom, bottom_strict = zero, True
        else:
            bottom, bottom_strict = -hi, hi_strict
        magnitude = _magnitude_range(bottom, bottom_strict, top, top_strict)
        if magnitude is not None:
            branches.append(sequence(literal("-"), group(magnitude)))
    if hi is None or hi > 0 or (hi == 0 and not hi_strict):
        start, start_strict = (zero, False) if lo is None or lo < 0 else (lo, lo_strict)
        magnitude = _magnitude_range(start, start_strict, hi, hi_strict)
        if magnitude is not None:
            branches.append(magnitude)
    if not branches:
        raise ValueError("the number bounds leave no value")
    return alternation(branches)
