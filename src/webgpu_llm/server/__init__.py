"""`webgpu-llm serve`: the OpenAI REST API on the native engine, plus static hosting
of the chat app, the JS client, Pyodide, the browser-side wheel and the cached models.

Native only (Starlette + uvicorn, the `serve` extra). Modules:
- `settings.py`        what the server was started with (`ServerSettings`)
- `app.py`             `build_app(settings)`: the URL layout; `serve(settings)` runs uvicorn
- `served_models.py`   which model ids are served, and their folders
- `engines.py`         one `AsyncEngine` per model id, loaded on first use in a thread
- `openai_routes.py`   `/v1/models`, `/v1/chat/completions`, `/v1/completions`
- `event_stream.py`    server-sent events of an engine stream; a departed client interrupts it
- `static_files.py`    files under a folder, never outside it
- `http_errors.py`     404/413 errors and the one way every error becomes a response
- `app_config.py`      the generated `/lib/prebuilt_app_config.js`
- `wheel.py`           the pure-Python wheel of the browser-side packages
- `pyodide_dir.py`     where Pyodide's npm files are
- `xgrammar_dir.py`    where web-xgrammar's bundle is (the browser's grammar engine)

This package imports nothing heavy on import, so `python -m webgpu_llm.server.wheel`
works without the server libraries.
"""
