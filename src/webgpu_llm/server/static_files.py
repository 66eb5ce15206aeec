"""Files under a folder, never outside it.

The URL path arrives percent-decoded (`%2e%2e` is already `..`), so one check
covers both spellings: only plain relative names pass (no empty, `.` or `..`
segment, no backslash, NUL or leading `/`), and the path with symlinks
resolved must still lie inside the resolved folder.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.responses import FileResponse, Response

from .http_errors import NotFoundError, error_response

# Set here rather than trusted to the platform's mime table: browsers refuse
# module scripts and streaming wasm compilation under other types.
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".bin": "application/octet-stream",
    ".ts": "application/typescript; charset=utf-8",  # the client's .d.ts; the platform's table says MPEG-TS video
}


def media_type_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def file_under(folder: Path, relative: str, *, flat: bool = False) -> Path | None:
    """The regular file `folder/relative`, or None if it is missing or would leave `folder`.

    flat: only files directly in `folder`, no subfolders.
    """
    if not relative or "\\" in relative or "\x00" in relative or relative.startswith("/"):
        return None
    parts = relative.split("/")
    if (flat and len(parts) != 1) or any(part in ("", ".", "..") for part in parts):
        return None
    try:
        root = folder.resolve(strict=True)
        path = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def serve_file(folder: Path | None, relative: str, *, flat: bool = False, url: str = "",
               headers: dict[str, str] | None = None) -> Response:
    """The file with Content-Length and its media type, or a 404 OpenAI-shaped error."""
    path = file_under(folder, relative, flat=flat) if folder is not None else None
    if path is None:
        return error_response(NotFoundError(f"no file {url or relative!r} here"))
    return FileResponse(path, media_type=media_type_of(path.name),
                        headers={"cache-control": "no-cache", **(headers or {})})
