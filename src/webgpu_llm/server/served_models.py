"""Which model ids this server answers for, and where their files are.

Served: every MLC folder in the cache (`<cache_root>/models/<id>`, read anew on
each request, so a model converted while the server runs appears) plus the
default model and the embedded embedding model (all-MiniLM-L6-v2, for /v1/embeddings).
The default may be a folder outside the cache (its id is the folder name) or an
embedded id not converted yet (converted on first use).
"""

from __future__ import annotations

from pathlib import Path

from ..convert.default_model import DEFAULT_MODEL_ID, EMBEDDED_MODELS, ModelNotFoundError, resolve_model
from ..convert.embedded_encoder import DEFAULT_EMBEDDING_MODEL_ID, EMBEDDED_ENCODERS
from ..protocol.errors import UnknownModelError
from ..weights.cache import CHAT_CONFIG, models_dir


class ServedModels:
    def __init__(self, cache_root: Path | None, default_model: str | None):
        """Check the default model now, so that a wrong --model fails at start."""
        self.cache_root = cache_root
        default = default_model or DEFAULT_MODEL_ID
        path = Path(default).expanduser()
        self._default_folder = path.resolve() if (path / CHAT_CONFIG).is_file() else None
        self.default_id = self._default_folder.name if self._default_folder else default
        embedded = default in EMBEDDED_MODELS or default in EMBEDDED_ENCODERS
        if self._default_folder is None and not embedded and default not in self.folders():
            raise ModelNotFoundError(f"no model {default!r}: not a folder with {CHAT_CONFIG}, not in the cache "
                                     f"{models_dir(cache_root)}, and not embedded "
                                     f"(embedded: {sorted(EMBEDDED_MODELS)})")

    def folders(self) -> dict[str, Path]:
        """id -> folder of every served model that is on disk now."""
        root = models_dir(self.cache_root)
        found = {}
        if root.is_dir():
            found = {p.name: p for p in sorted(root.iterdir()) if (p / CHAT_CONFIG).is_file()}
        if self._default_folder is not None:
            found[self.default_id] = self._default_folder
        return found

    def ids(self) -> list[str]:
        """Every served id: the default first, then the cached ones, then the embedding model."""
        ids = [self.default_id, *(i for i in self.folders() if i != self.default_id)]
        return ids if DEFAULT_EMBEDDING_MODEL_ID in ids else [*ids, DEFAULT_EMBEDDING_MODEL_ID]

    def check(self, model_id: str | None) -> str:
        """The id a request's `model` field names (None: the default); UnknownModelError otherwise."""
        if model_id is None:
            return self.default_id
        served = self.ids()
        if model_id not in served:
            raise UnknownModelError(f"model {model_id!r} is not served here; served: {', '.join(served)}")
        return model_id

    def folder_for_loading(self, model_id: str) -> Path:
        """The folder of a served model, converting an embedded one first if needed (slow: call in a thread)."""
        folder = self.folders().get(self.check(model_id))
        if folder is not None:
            return folder
        return resolve_model(model_id, self.cache_root)
