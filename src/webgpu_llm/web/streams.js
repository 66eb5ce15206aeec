// The open streams of a handler (web_worker.js and the service-worker
// handlers built on it). Streams are pulled: the proxy asks for each chunk,
// so a slow reader never piles chunks up in the handler (backpressure), while
// the table reads one chunk ahead, so the engine keeps generating during the
// message round trip. A stream whose reader went away (a closed page, a
// disconnected Port) or stopped asking is closed, which ends its generation:
// the engine is free for the next request.

import { InvalidRequestError } from "./errors.js";

/**
 * @typedef {object} OpenStream
 * @property {AsyncIterator<any>} iterator the engine's chunks
 * @property {Promise<IteratorResult<any>>} ahead the chunk read ahead
 * @property {Promise<unknown>} queue pulls, one after another
 * @property {any} target where the stream's reader is
 * @property {number|null} idleSince when the last chunk went out with no pull since (ms), else null
 */

export class StreamTable {
  /**
   * @param {object} options
   * @param {number} options.idleTimeoutMs a stream not pulled for this long is closed
   * @param {(target: any) => Promise<boolean>} options.isAlive whether a stream's reader is still there
   */
  constructor({ idleTimeoutMs, isAlive }) {
    this.idleTimeoutMs = idleTimeoutMs;
    this.isAlive = isAlive;
    /** @type {Map<string, OpenStream>} */
    this.streams = new Map();
    /** @type {ReturnType<typeof setInterval>|null} */
    this.watchdog = null;
  }

  get size() {
    return this.streams.size;
  }

  /**
   * @param {string} streamId
   * @param {AsyncIterable<any>} iterable the engine's answer to a request with stream: true
   * @param {any} target
   */
  open(streamId, iterable, target) {
    if (!iterable || typeof iterable[Symbol.asyncIterator] !== "function") {
      throw new InvalidRequestError("the engine gave no stream for a request with stream: true");
    }
    const iterator = iterable[Symbol.asyncIterator]();
    this.streams.set(streamId,
      { iterator, ahead: readAhead(iterator), queue: Promise.resolve(), target, idleSince: Date.now() });
    this.startWatchdog();
  }

  /**
   * The stream's next chunk, or null once it ended.
   * @param {string} streamId
   * @returns {Promise<any>}
   */
  next(streamId) {
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      throw new InvalidRequestError(`no open stream ${streamId}: it ended, was closed, or its worker restarted`,
        { code: "stream_not_found" });
    }
    stream.idleSince = null;
    const pull = stream.queue.then(async () => {
      try {
        const result = await stream.ahead;
        if (result.done) {
          this.streams.delete(streamId);
          return null;
        }
        stream.ahead = readAhead(stream.iterator);
        return result.value;
      } catch (error) {
        this.streams.delete(streamId);
        throw error;
      } finally {
        stream.idleSince = Date.now();
      }
    });
    stream.queue = pull.catch(() => {});
    return pull;
  }

  /**
   * Ends a stream early: its iterator's return() ends the engine's generation
   * once the chunk in flight is out.
   * @param {string} streamId
   */
  close(streamId) {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    this.streams.delete(streamId);
    stream.iterator.return?.(undefined)?.catch?.(() => {});
  }

  closeAll() {
    for (const streamId of [...this.streams.keys()]) this.close(streamId);
  }

  startWatchdog() {
    if (this.watchdog !== null) return;
    this.watchdog = setInterval(() => this.check(), Math.min(1000, this.idleTimeoutMs / 2));
  }

  /** Closes the streams of gone readers and those nobody pulled for idleTimeoutMs. */
  async check() {
    const now = Date.now();
    for (const [streamId, stream] of [...this.streams]) {
      const idle = stream.idleSince !== null && now - stream.idleSince > this.idleTimeoutMs;
      if (idle || !(await this.isAlive(stream.target))) this.close(streamId);
    }
    if (this.streams.size === 0 && this.watchdog !== null) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }
}

/**
 * Starts reading the next chunk; a failure is kept for the pull that awaits it.
 * @param {AsyncIterator<any>} iterator
 */
function readAhead(iterator) {
  const ahead = iterator.next();
  ahead.catch(() => {});
  return ahead;
}
