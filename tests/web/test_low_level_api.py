"""WebLLM's low-level API in the JS client without a model: the proxy's forwardTokensAndSample
through a real Web Worker and handler (processors registered in the worker, refused on the
proxy), and logit_processor.js's sampling of processed logits."""


def test_forward_tokens_and_sample_through_a_worker(page):
    result = page.evaluate("""async () => {
        const { CreateWebWorkerMLCEngine, WebWorkerMLCEngine, EngineNotLoadedError, FeatureNotSupportedError }
            = await import("/lib/index.js");
        const out = {};
        const idle = new WebWorkerMLCEngine(new Worker("/low_level_worker.js", { type: "module" }));
        try { await idle.forwardTokensAndSample([1], true); } catch (e) { out.notLoaded = e instanceof EngineNotLoadedError; }
        const engine = await CreateWebWorkerMLCEngine(new Worker("/low_level_worker.js", { type: "module" }), "echo-model");
        out.prefill = await engine.forwardTokensAndSample([3, 9, 4], true);
        out.append = await engine.forwardTokensAndSample([5, 2], false, "echo-model");
        try { engine.setLogitProcessorRegistry(new Map()); }
        catch (e) { out.refused = [e instanceof FeatureNotSupportedError, e.message]; }
        return out;
    }""")
    assert result["notLoaded"] is True
    # The worker's processor set logits[0] = 100, so its argmax (0) is what came back.
    assert result["prefill"] == 1000 and result["append"] == 0
    assert result["refused"][0] is True and "handler.setLogitProcessorRegistry" in result["refused"][1]


def test_sampling_of_processed_logits(page):
    result = page.evaluate("""async () => {
        const { decodeLogits, processorSampler, sampleToken } = await import("/lib/logit_processor.js");
        const logits = new Float32Array([0.5, 3.0, 2.75, -1.0]);
        const base64 = btoa(String.fromCharCode(...new Uint8Array(logits.buffer)));
        const draws = (random) => sampleToken(logits, 1.0, 1.0, random);
        const seen = [];
        const sampler = processorSampler({
            processLogits: (l) => { l[3] = 50; return l; },
            processSampledToken: (t) => seen.push(t), resetState: () => {} });
        return {
            decoded: Array.from(decodeLogits(base64)),
            greedy: sampleToken(logits, 0, 1.0, () => 0.99),
            nucleus: [0.0, 0.5, 0.999].map((u) => sampleToken(logits, 1.0, 0.1, () => u)),
            // probabilities ~ [0.04, 0.53, 0.41, 0.01]: cumulative 0.53, 0.95, 0.99, 1 in the order 1, 2, 0, 3
            full: [0.0, 0.6, 0.97, 0.9999].map((u) => draws(() => u)),
            processed: [sampler(base64, 0, 1.0), seen],
        };
    }""")
    assert result["decoded"] == [0.5, 3.0, 2.75, -1.0]
    assert result["greedy"] == 1
    assert result["nucleus"] == [1, 1, 1]  # top_p 0.1 keeps the most likely token only
    assert result["full"] == [1, 2, 0, 3]
    assert result["processed"] == [3, [3]]
