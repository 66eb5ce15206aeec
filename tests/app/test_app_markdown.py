"""The chat app's Markdown renderer (web/app/markdown.js): output for each construct, and safety.

Exact HTML is checked in node (ES modules, no browser needed); safety is checked
again in Chromium, where the HTML is parsed as the app parses it (innerHTML).
"""

import json
import shutil
import subprocess

import pytest

import browser_support

NODE = shutil.which("node") or "/usr/bin/node"
APP_DIR = browser_support.WEB_DIR / "app"

CASES = [
    # (markdown, expected HTML)
    ("plain text", "<p>plain text</p>"),
    ("# Title", "<h1>Title</h1>"),
    ("### Third ###", "<h3>Third</h3>"),
    ("#no space", "<p>#no space</p>"),
    ("**bold** and __bold__", "<p><strong>bold</strong> and <strong>bold</strong></p>"),
    ("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>"),
    ("snake_case_name and 2 * 3 * 4", "<p>snake_case_name and 2 * 3 * 4</p>"),
    ("use `a < b` here", "<p>use <code>a &lt; b</code> here</p>"),
    ("`**not bold**`", "<p><code>**not bold**</code></p>"),
    ("line one\nline two\n\nsecond paragraph", "<p>line one<br>line two</p>\n<p>second paragraph</p>"),
    ("```python\nif a < b:\n    print('*x*')\n```\nafter",
     '<pre><code class="language-python">if a &lt; b:\n    print(&#39;*x*&#39;)</code></pre>\n<p>after</p>'),
    # While streaming, an unclosed fence is already a code block.
    ("```\nstill <streaming>", "<pre><code>still &lt;streaming&gt;</code></pre>"),
    ("- one\n- **two**\n  continued", "<ul><li>one</li><li><strong>two</strong><br>continued</li></ul>"),
    ("* a\n+ b", "<ul><li>a</li><li>b</li></ul>"),
    ("1. first\n2. second", "<ol><li>first</li><li>second</li></ol>"),
    ("3) three\n4) four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("Intro:\n- a\n\n1. b", "<p>Intro:</p>\n<ul><li>a</li></ul>\n<ol><li>b</li></ol>"),
    ("---", "<hr>"),
    ("[site](https://example.com/a_b_c?x=1&y=2)",
     '<p><a href="https://example.com/a_b_c?x=1&amp;y=2" target="_blank" rel="noopener noreferrer">site</a></p>'),
    ("[**bold** `code`](http://example.com)",
     '<p><a href="http://example.com" target="_blank" rel="noopener noreferrer">'
     "<strong>bold</strong> <code>code</code></a></p>"),
    # Unsafe input comes out as escaped text.
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ('<img src=x onerror="alert(1)">', "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>"),
    ("[click](javascript:alert%281%29)", "<p>[click](javascript:alert%281%29)</p>"),
    ("[click](JavaScript:void)", "<p>[click](JavaScript:void)</p>"),
    ("[data](data:text/html,hi)", "<p>[data](data:text/html,hi)</p>"),
    ("[rel](/local/path)", "<p>[rel](/local/path)</p>"),
    ('[q](https://a.com"onmouseover="alert(1))', "<p>[q](https://a.com&quot;onmouseover=&quot;alert(1))</p>"),
    # NUL is the renderer's own placeholder mark: input NULs cannot forge one.
    ("\u00000\u0000 `x`", "<p>0 <code>x</code></p>"),
]

NASTY = [
    "<script>window.__pwned = 1</script>",
    '<img src=x onerror="window.__pwned = 1">',
    "[x](javascript:window.__pwned=1)",
    '[x](https://a.com" onclick="window.__pwned=1)',
    '``<img src=x onerror="window.__pwned=1">``',
    '```\n</code></pre><img src=x onerror="window.__pwned=1">\n```',
    '**<svg onload="window.__pwned=1">**',
    "- <iframe src=javascript:window.__pwned=1></iframe>",
    "# <a href=javascript:window.__pwned=1>h</a>",
]


def render_in_node(texts: list[str]) -> list[str]:
    module_url = (APP_DIR / "markdown.js").as_uri()
    script = (f'import {{ renderMarkdown }} from "{module_url}"; import {{ readFileSync }} from "node:fs";'
              'console.log(JSON.stringify(JSON.parse(readFileSync(0, "utf8")).map(renderMarkdown)));')
    result = subprocess.run([NODE, "--input-type=module", "-e", script], input=json.dumps(texts),
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


@pytest.mark.parametrize(("markdown", "expected"), CASES, ids=[repr(m)[:40] for m, _ in CASES])
def test_renders_markdown(markdown, expected):
    assert render_in_node([markdown]) == [expected]


def test_renders_each_prefix_of_a_streamed_reply():
    # The app re-renders the whole text after every chunk: every prefix must render without error.
    reply = "# Hi\n\nSome **bold** and `code`.\n\n```js\nlet x = 1;\n```\n- a\n- [b](https://b.org)"
    prefixes = [reply[:n] for n in range(len(reply) + 1)]
    rendered = render_in_node(prefixes)
    assert rendered[-1].startswith("<h1>Hi</h1>")
    assert all("<script" not in html for html in rendered)


def test_rendered_html_is_inert_in_chromium(open_page):
    page = open_page(webgpu=False)
    with browser_support.StaticServer(APP_DIR, mounts={}) as server:
        page.goto(f"{server.url}/markdown.js")  # any same-origin page lets the module be imported
        found = page.evaluate("""async (texts) => {
            const { renderMarkdown } = await import("/markdown.js");
            const box = document.createElement("div");
            document.body.append(box);
            box.innerHTML = texts.map(renderMarkdown).join("\\n");
            await new Promise((resolve) => setTimeout(resolve, 300));  // let any handler fire
            const elements = [...box.querySelectorAll("*")];
            return {
                tags: [...new Set(elements.map((element) => element.tagName.toLowerCase()))].sort(),
                handlers: elements.flatMap((element) =>
                    element.getAttributeNames().filter((name) => name.startsWith("on"))),
                hrefs: [...box.querySelectorAll("a")].map((anchor) => anchor.href),
                pwned: window.__pwned ?? null,
            };
        }""", NASTY)
    assert found["pwned"] is None
    assert found["handlers"] == []
    assert set(found["tags"]) <= {"p", "pre", "code", "strong", "em", "ul", "ol", "li", "h1", "a", "br"}
    assert all(href.startswith(("http://", "https://")) for href in found["hrefs"])
    assert "https://a.com%22" not in " ".join(found["hrefs"])
