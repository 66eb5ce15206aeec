"""StopMatcher: streamed text cut at the earliest stop-string occurrence."""

import random

import pytest

from webgpu_llm.engine.stop import StopMatcher


def reference_cut(text: str, stops: list[str]) -> tuple[str, bool]:
    """The whole text cut at the smallest start index of any stop string."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return (text[: min(found)], True) if found else (text, False)


def stream_through(matcher: StopMatcher, pieces: list[str]) -> tuple[str, bool]:
    """What generation does: push pieces until a stop, then flush at the end."""
    out = []
    for piece in pieces:
        text, stopped = matcher.push(piece)
        out.append(text)
        if stopped:
            return "".join(out), True
    out.append(matcher.flush())
    return "".join(out), matcher.stopped


def random_split(rng: random.Random, text: str) -> list[str]:
    cuts = sorted(rng.sample(range(len(text) + 1), rng.randint(0, min(len(text) + 1, 8))))
    bounds = [0, *cuts, len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:])]  # may include "" pieces


@pytest.mark.parametrize("seed", range(40))
def test_random_streams_match_reference(seed):
    rng = random.Random(seed)
    alphabet = "ab c\n" if seed % 2 else "aab"  # small alphabets make stops (and near misses) common
    for _ in range(250):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        stops = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))
                 for _ in range(rng.randint(0, 4))]
        pieces = random_split(rng, text)
        got = stream_through(StopMatcher(stops), pieces)
        assert got == reference_cut(text, stops), (text, stops, pieces)


def test_text_is_released_as_soon_as_it_cannot_start_a_stop():
    matcher = StopMatcher(["</s>"])
    assert matcher.push("Hello <") == ("Hello ", False)
    assert matcher.push("/") == ("", False)
    assert matcher.push("p> there") == ("</p> there", False)
    assert matcher.push(" </") == (" ", False)
    assert matcher.push("s> ignored") == ("", True)
    assert matcher.push("more") == ("", True)
    assert matcher.flush() == ""


def test_stop_spanning_many_pushes():
    matcher = StopMatcher(["STOP HERE"])
    pieces = ["ok S", "T", "O", "P", " ", "H", "E", "R", "E and after"]
    assert stream_through(matcher, pieces) == ("ok ", True)


def test_overlapping_candidates_earliest_wins():
    assert stream_through(StopMatcher(["ab", "b c"]), ["x a", "b c"]) == ("x ", True)
    assert stream_through(StopMatcher(["b c", "ab"]), ["xb", " c ab"]) == ("x", True)


def test_longer_stop_starting_earlier_beats_shorter_complete_one():
    matcher = StopMatcher(["abcd", "bc"])
    assert matcher.push("xabc") == ("x", False)  # "bc" is complete, but "abcd" may still come
    assert matcher.push("d") == ("", True)
    matcher = StopMatcher(["abcd", "bc"])
    matcher.push("xabc")
    assert matcher.push("e") == ("a", True)
    matcher = StopMatcher(["abcd", "bc"])
    matcher.push("xabc")
    assert matcher.flush() == "a" and matcher.stopped  # the stream ended: "bc" stands


def test_held_text_is_flushed_when_the_stream_ends():
    matcher = StopMatcher(["<|end|>"])
    assert matcher.push("done <|en") == ("done ", False)
    assert matcher.flush() == "<|en"
    assert not matcher.stopped


def test_no_stops_is_pass_through():
    matcher = StopMatcher([])
    assert matcher.push("anything") == ("anything", False)
    assert matcher.flush() == ""


def test_empty_stop_strings_are_ignored():
    assert stream_through(StopMatcher(["", "z"]), ["abc"]) == ("abc", False)


def test_stop_at_the_very_start():
    assert StopMatcher(["\n"]).push("\nrest") == ("", True)
