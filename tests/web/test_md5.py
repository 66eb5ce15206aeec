"""md5.js against hashlib, in the browser."""

import base64
import hashlib
import os

SIZES = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 1 << 20]


def test_md5_hex_equals_hashlib(page):
    inputs = [os.urandom(n) for n in SIZES]
    digests = page.evaluate("""async (inputs) => {
        const { md5Hex } = await import("/lib/md5.js");
        const decode = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        return inputs.map((b64) => md5Hex(decode(b64)));
    }""", [base64.b64encode(data).decode() for data in inputs])
    assert digests == [hashlib.md5(data).hexdigest() for data in inputs]


def test_md5_of_a_view_and_of_an_arraybuffer(page):
    """A subarray at an odd offset hashes its own bytes only; an ArrayBuffer is accepted too."""
    data = os.urandom(300)
    got = page.evaluate("""async (b64) => {
        const { md5Hex } = await import("/lib/md5.js");
        const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        return [md5Hex(bytes.subarray(3, 203)), md5Hex(bytes.buffer)];
    }""", base64.b64encode(data).decode())
    assert got == [hashlib.md5(data[3:203]).hexdigest(), hashlib.md5(data).hexdigest()]


def test_md5_of_a_32_mib_shard_is_fast(page):
    """A full 32 MiB shard (the largest MLC writes) hashes in well under the time to download it."""
    block = os.urandom(1 << 20)
    result = page.evaluate("""async (b64) => {
        const { md5Hex } = await import("/lib/md5.js");
        const block = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const bytes = new Uint8Array(32 << 20);
        for (let offset = 0; offset < bytes.length; offset += block.length) bytes.set(block, offset);
        const start = performance.now();
        const hex = md5Hex(bytes);
        return { hex, ms: performance.now() - start };
    }""", base64.b64encode(block).decode())
    assert result["hex"] == hashlib.md5(block * 32).hexdigest()
    assert result["ms"] < 3000, f"md5 of 32 MiB took {result['ms']:.0f} ms"
