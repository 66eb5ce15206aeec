// The WebGPU side of gpu/browser.py: WebGPU objects held in JS, named by small
// integer ids that Python keeps. Python makes buffers, pipelines, bind groups and
// dispatch lists at load; a step is one call (`submit`) that replays a recorded
// list in one compute pass, so no call crosses into JS per dispatch (DESIGN.md,
// decision 4). Reads are the only awaited promises (decision 5) and shard bytes
// go from the network or the cache straight into GPU buffers (decision 7).

import { FeatureNotSupportedError, WebGPUNotAvailableError } from "./errors.js";
import { fetchModelText, loadShards } from "./download.js";
import { GrammarBridge } from "./grammar.js";
import { integrityOfFile } from "./integrity.js";

/** Features the engine uses when present (none is required: compute is f32). */
const OPTIONAL_FEATURES = ["shader-f16", "subgroups", "timestamp-query"];
/** Limits asked at the adapter's own maximum: the spec defaults are far below what models need. */
const LIMITS = [
  "maxBufferSize", "maxStorageBufferBindingSize", "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize", "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX", "maxComputeWorkgroupsPerDimension",
];

export class GpuBridge {
  /** @param {GPUAdapter} adapter @param {GPUDevice} device */
  constructor(adapter, device) {
    this.adapter = adapter;
    this.device = device;
    /** @type {Array<any>} buffers, pipelines, bind groups and lists share one id space */
    this.objects = [null];
    this.freeIds = [];
    this.lostReason = null;
    /** @type {Map<string, import("./integrity.js").ModelIntegrity|undefined>} ModelRecord.integrity
     *  of each model being loaded, by its resolve/main/ URL (several models load in one reload) */
    this.modelIntegrity = new Map();
    /** @type {{xgrammar?: any, xgrammarURL?: string}} how web/grammar.js finds web-xgrammar */
    this.grammarOptions = {};
    this.grammarBridge = null;
    device.lost.then((info) => { this.lostReason = `${info.reason}: ${info.message}`; });
  }

  /**
   * The adapter and device, or a clear error when this browser cannot run the engine.
   * @param {string[]} [requiredFeatures] features the chosen model record needs
   */
  static async create(requiredFeatures = []) {
    if (typeof navigator === "undefined" || !navigator.gpu) {
      throw new WebGPUNotAvailableError(
        "this browser has no WebGPU (navigator.gpu is missing); use a recent Chrome or Edge, "
        + "or enable WebGPU in this browser's settings");
    }
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) {
      throw new WebGPUNotAvailableError("WebGPU is present but no adapter was found (requestAdapter returned null)");
    }
    const missing = requiredFeatures.filter((f) => !adapter.features.has(f));
    if (missing.length) {
      throw new FeatureNotSupportedError(
        `this adapter lacks the feature(s) ${missing.join(", ")} that the model needs; `
        + `it has: ${[...adapter.features].sort().join(", ") || "none"}`);
    }
    const requiredLimits = {};
    for (const name of LIMITS) requiredLimits[name] = adapter.limits[name];
    const device = await adapter.requestDevice({
      requiredFeatures: OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)),
      requiredLimits,
    });
    return new GpuBridge(adapter, device);
  }

  /** Adapter, features and limits as JSON for Python's BrowserDevice. */
  describe() {
    const info = this.adapter.info || {};
    const limits = {};
    for (const name of [...LIMITS, "minStorageBufferOffsetAlignment"]) limits[name] = this.device.limits[name];
    return JSON.stringify({
      vendor: info.vendor || "", architecture: info.architecture || "", device: info.device || "",
      description: info.description || "", isFallbackAdapter: Boolean(info.isFallbackAdapter),
      subgroupMinSize: info.subgroupMinSize || 0, subgroupMaxSize: info.subgroupMaxSize || 0,
      features: [...this.device.features], limits,
    });
  }

  _add(object) {
    const id = this.freeIds.length ? this.freeIds.pop() : this.objects.length;
    this.objects[id] = object;
    return id;
  }

  _take(id) {
    const object = this.objects[id];
    this.objects[id] = null;
    this.freeIds.push(id);
    return object;
  }

  createBuffer(size, usage, label) {
    return this._add(this.device.createBuffer({ size, usage, label }));
  }

  destroyBuffer(id) {
    this._take(id).destroy();
  }

  /** @param {number} id @param {number} offset @param {Uint8Array} data (a 4-byte multiple) */
  writeBuffer(id, offset, data) {
    this.device.queue.writeBuffer(this.objects[id], offset, data);
  }

  compile(code, entryPoint, label) {
    const module = this.device.createShaderModule({ code, label });
    return this._add(this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint }, label }));
  }

  /** @param {number} pipelineId @param {number[]} bufferIds binding i = bufferIds[i] */
  bind(pipelineId, bufferIds) {
    const pipeline = this.objects[pipelineId];
    const entries = Array.from(bufferIds, (id, binding) => ({ binding, resource: { buffer: this.objects[id] } }));
    return this._add(this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
  }

  /**
   * A dispatch list, flat: [pipelineId, bindGroupId, x, y, z] per dispatch; x < 0 means
   * "indirect": the workgroup counts are read at run time from buffer -x.
   */
  recordList(flat) {
    return this._add(Int32Array.from(flat));
  }

  forget(id) {
    this._take(id);
  }

  /**
   * One command encoder, one compute pass replaying list `listId` (0: none), then
   * buffer copies given flat as [sourceId, sourceOffset, destinationId, destinationOffset, size]*.
   */
  submit(listId, copies) {
    const encoder = this.device.createCommandEncoder();
    if (listId) {
      const list = this.objects[listId];
      const pass = encoder.beginComputePass();
      let current = -1;
      for (let i = 0; i < list.length; i += 5) {
        if (list[i] !== current) {
          current = list[i];
          pass.setPipeline(this.objects[current]);
        }
        pass.setBindGroup(0, this.objects[list[i + 1]]);
        if (list[i + 2] < 0) pass.dispatchWorkgroupsIndirect(this.objects[-list[i + 2]], 0);
        else pass.dispatchWorkgroups(list[i + 2], list[i + 3], list[i + 4]);
      }
      pass.end();
    }
    for (let i = 0; i < copies.length; i += 5) {
      encoder.copyBufferToBuffer(this.objects[copies[i]], copies[i + 1], this.objects[copies[i + 2]],
        copies[i + 3], copies[i + 4]);
    }
    this.device.queue.submit([encoder.finish()]);
  }

  /** Bytes of a MAP_READ buffer once the work that wrote it is done. */
  async read(id, offset, size) {
    const buffer = this.objects[id];
    await buffer.mapAsync(GPUMapMode.READ, offset, size);
    try {
      return new Uint8Array(buffer.getMappedRange(offset, size).slice(0));
    } finally {
      buffer.unmap();
    }
  }

  /** Start collecting validation errors (a model load: pipelines compile lazily and fail late). */
  pushErrorScope() {
    this.device.pushErrorScope("validation");
    this.device.pushErrorScope("out-of-memory");
  }

  /** The first error since pushErrorScope, as text, or "" when there was none. */
  async popErrorScope() {
    const memory = await this.device.popErrorScope();
    const validation = await this.device.popErrorScope();
    const error = memory || validation;
    if (this.lostReason) return `the GPU device was lost (${this.lostReason})`;
    return error ? error.message : "";
  }

  /**
   * A small model file (config, manifest, tokenizer) as text, from the cache or the network,
   * held to the SRI hash that `modelIntegrity` (the integrity of the record at baseUrl) gives it.
   */
  fetchText(baseUrl, file, appConfig) {
    const record = this.modelIntegrity.get(baseUrl);
    const integrity = integrityOfFile(record, file);
    return fetchModelText(baseUrl, file, appConfig, { integrity, onFailure: record?.onFailure });
  }

  /**
   * Model shards into their tensors' buffers, straight from the cache or the network.
   * @param {string} baseUrl the model's resolve/main/ URL
   * @param {string} planJson [{dataPath, nbytes, md5sum, records: [[bufferId, byteOffset, nbytes], ...]}, ...]
   * @param {object} appConfig decides the cache backend
   * @param {(loaded: number, total: number, fromCache: boolean) => void} onProgress
   */
  async uploadShards(baseUrl, planJson, appConfig, onProgress) {
    const plan = JSON.parse(planJson);
    await loadShards({
      baseUrl,
      shards: plan.map(({ dataPath, nbytes, md5sum }) => ({ dataPath, nbytes, md5sum })),
      appConfig,
      onShard: (index, bytes) => {
        for (const [bufferId, offset, nbytes] of plan[index].records) {
          this.writeBuffer(bufferId, 0, padded(bytes, offset, nbytes));
        }
      },
      onProgress: (p) => onProgress(p.loadedBytes, p.totalBytes, Boolean(p.fromCache)),
    });
  }

  /** The grammar engine (web/grammar.js over web-xgrammar), loaded on first use. */
  grammar() {
    if (!this.grammarBridge) {
      this.grammarBridge = GrammarBridge.create(this, this.grammarOptions);
      this.grammarBridge.catch(() => { this.grammarBridge = null; }); // a failed load may be retried
    }
    return this.grammarBridge;
  }

  destroy() {
    this.device.destroy();
    this.objects = [null];
    this.freeIds = [];
  }
}

/** bytes[offset, offset + n) as a view, or a zero-padded copy when n is not a 4-byte multiple. */
function padded(bytes, offset, n) {
  const view = bytes.subarray(offset, offset + n);
  if (n % 4 === 0) return view;
  const copy = new Uint8Array(n + 4 - (n % 4));
  copy.set(view);
  return copy;
}
