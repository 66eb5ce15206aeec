"""browser_cases.evaluate_in_new_page: a renderer crash gets one fresh page, with a warning; a second
crash, or any other error, fails. Playwright's page is stood in for here: a real renderer crash can't
be provoked on demand from a page."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from browser_cases import evaluate_in_new_page


class Page:
    def __init__(self, outcome):
        self.outcome, self.closed = outcome, False

    def on(self, event, handler):
        pass

    def goto(self, url):
        self.url = url

    def evaluate(self, script, arg):
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome

    def close(self):
        self.closed = True


class Context:
    """Hands out pages whose evaluate() gives the next of `outcomes` (a value, or an error raised)."""

    def __init__(self, *outcomes):
        self.outcomes, self.pages = list(outcomes), []

    def new_page(self):
        self.pages.append(Page(self.outcomes.pop(0)))
        return self.pages[-1]


CRASH = PlaywrightError("Page.evaluate: Target crashed")


def test_a_crash_is_evaluated_once_more_in_a_new_page():
    context = Context(CRASH, {"tokens": [1, 2]})
    with pytest.warns(UserWarning, match="renderer crashed"):
        assert evaluate_in_new_page(context, "http://x/", "() => 1") == {"tokens": [1, 2]}
    assert len(context.pages) == 2 and context.pages[0].closed and context.pages[1].url == "http://x/"


def test_a_second_crash_fails():
    with pytest.warns(UserWarning), pytest.raises(PlaywrightError, match="Target crashed"):
        evaluate_in_new_page(Context(CRASH, CRASH, "never"), "http://x/", "() => 1")


def test_other_errors_are_not_retried():
    context = Context(PlaywrightError("ReferenceError: engine is not defined"), "never")
    with pytest.raises(PlaywrightError, match="ReferenceError"):
        evaluate_in_new_page(context, "http://x/", "() => 1")
    assert len(context.pages) == 1
