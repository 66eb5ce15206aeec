// WebLLM's MyLogitProcessor: every logits[0] = 100, so token 0 is always sampled; it counts
// the tokens it is told of and forgets them on resetState (resetChat).
export class MyLogitProcessor {
  constructor() {
    this.tokenSequence = [];
    this.resets = 0; // ours: how often resetState ran, for the page's output
  }

  processLogits(logits) {
    logits[0] = 100.0; // should be enough so that we always sample token 0 below
    return logits;
  }

  processSampledToken(token) {
    this.tokenSequence.push(token);
    console.log("processSampledToken: " + this.tokenSequence.length);
  }

  resetState() {
    this.tokenSequence = [];
    this.resets += 1;
    console.log("resetState");
  }
}
