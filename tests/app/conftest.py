"""Pages in headless Chromium for the chat-app tests (launcher and server: tests/browser_support.py)."""

import tempfile

import pytest

import browser_support
# The same flags without --enable-unsafe-webgpu / --use-webgpu-adapter: Chromium then has no WebGPU here.
NO_WEBGPU_ARGS = [arg for arg in browser_support.CHROMIUM_ARGS if "webgpu" not in arg]


# Module scope: a running sync playwright holds an event loop in this thread, which the
# synchronous Engine of other test folders needs free.
@pytest.fixture(scope="module")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_page(playwright_driver):
    """open_page(webgpu=True) -> a page in a fresh Chromium profile; closed after the test.

    The page's console goes to stdout, so a failing test shows what the app logged.
    """
    contexts = []

    def open_(webgpu: bool = True):
        if webgpu:
            context = browser_support.launch_chromium(playwright_driver)
        else:
            profile = tempfile.mkdtemp(prefix="webgpu-llm-chromium-")
            context = playwright_driver.chromium.launch_persistent_context(
                profile, executable_path=browser_support.CHROMIUM, headless=True, args=NO_WEBGPU_ARGS)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda message: print(f"[browser {message.type}] {message.text}"))
        page.on("pageerror", lambda error: print(f"[browser pageerror] {error}"))
        return page

    yield open_
    for context in contexts:
        context.close()
