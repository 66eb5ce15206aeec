"""What the browser tests share: the model, the question, timeouts, page helpers."""

import warnings

from playwright.sync_api import Error as PlaywrightError

MODEL_ID = "SmolLM2-135M-Instruct-q4f16_1-MLC"
# A 1024-token window keeps the f32 KV cache at 47 MB instead of the model's 8192 tokens'
# 377 MB (the browser allocates it per load); it changes no result (the math is per key).
CHAT_OPTIONS = {"context_window_size": 1024}
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
BROWSER_TIMEOUT_MS = 300_000  # one page action: a cold load plus a few tokens on 2 CPU cores
TEST_TIME_LIMIT_S = 900  # a whole test (page.evaluate has no timeout of its own)


def open_page(context, url: str):
    page = context.new_page()
    page.on("console", lambda m: print("console:", m.text))
    page.on("pageerror", lambda e: print("pageerror:", e))
    page.goto(url)
    return page


def evaluate_in_new_page(context, url: str, script: str, arg=None):
    """page.evaluate(script, arg) in a new page at `url`. A renderer crash (one seen in CI, in a page
    running the engine on its main thread) is retried once in a fresh page, with a warning that the
    test report shows; a second crash fails the test."""
    for attempt in (1, 2):
        page = open_page(context, url)
        try:
            return page.evaluate(script, arg)
        except PlaywrightError as e:
            if "Target crashed" not in str(e) or attempt == 2:
                raise
            warnings.warn(f"the page's renderer crashed ({e}); evaluating once more in a new page")
            page.close()
