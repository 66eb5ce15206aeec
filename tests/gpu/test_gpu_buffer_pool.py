"""The buffer pool on the real device: reuse by usage and size, no double release."""

import pytest

from webgpu_llm.gpu.device import BufferUsage
from webgpu_llm.gpu.pool import BufferPool, size_class

STORAGE = BufferUsage.STORAGE | BufferUsage.COPY_DST
READ = BufferUsage.MAP_READ | BufferUsage.COPY_DST


def test_size_classes_are_whole_granules():
    assert [size_class(n) for n in (0, 1, 256, 257, 1000)] == [256, 256, 256, 512, 1024]
    with pytest.raises(ValueError):
        size_class(-1)


def test_released_buffers_are_reused_by_usage_and_size(device):
    pool = BufferPool(device)
    a = pool.acquire(1000, STORAGE, "a")
    assert a.size >= 1000 and pool.created == 1
    pool.release(a)
    assert pool.acquire(900, STORAGE, "b") is a  # same 1024-byte class
    assert pool.reused == 1
    other_usage = pool.acquire(1000, READ, "c")
    other_size = pool.acquire(5000, STORAGE, "d")
    assert other_usage is not a and other_size is not a and pool.created == 3
    pool.release(other_usage)
    assert pool.free_bytes == other_usage.size
    pool.trim()
    assert pool.free_bytes == 0


def test_releasing_twice_or_a_foreign_buffer_is_an_error(device):
    pool = BufferPool(device)
    a = pool.acquire(64, STORAGE)
    pool.release(a)
    with pytest.raises(ValueError, match="released twice"):
        pool.release(a)
    with pytest.raises(ValueError):
        pool.release(device.create_buffer(64, STORAGE))


def test_a_reloaded_model_allocates_nothing_new(smollm2_folder, device):
    from webgpu_llm.engine.loader import load_model

    folder = smollm2_folder("q4f16_1")
    first = load_model(folder, device, context_window_size=64, prefill_chunk_size=16)
    first.runner.release()
    created = device.pool.created
    second = load_model(folder, device, context_window_size=64, prefill_chunk_size=16)
    assert device.pool.created == created  # activations, KV cache and staging all came back
    second.runner.release()
