"""MLC model artifacts: the quantization scheme registry and the folder format.

Browser-side (stdlib only, DESIGN.md decision 1). Numeric work on weights
(quantizers, bf16 encoding, the writer) lives in `webgpu_llm.convert`.
"""

from .artifact import (
    Artifact,
    ArtifactError,
    Manifest,
    ManifestError,
    MissingShardError,
    Shard,
    ShardChecksumError,
    ShardSizeError,
    TensorRecord,
    UnknownTensorError,
    open_artifact,
    read_tensor_bytes,
    verify_shards,
)
from .quantization import (
    QuantScheme,
    UnknownQuantizationError,
    expected_records,
    get_scheme,
    quantized_records,
    scheme_names,
)
