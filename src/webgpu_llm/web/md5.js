// MD5 (RFC 1321), written from the RFC, for checking weight shards against the
// md5sum of tensor-cache.json. MD5 is not a security measure here: it catches
// truncated or corrupted downloads, as MLC's tooling intends it.
//
// The 64 steps are spelled out as in RFC 1321 section 3.4: that keeps V8 on
// straight-line int32 code (a 32 MiB shard hashes in well under a second).

/** T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 section 3.4, as int32. */
const T = new Int32Array(64);
for (let i = 0; i < 64; i++) T[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000) | 0;

/**
 * Lowercase hex MD5 of the bytes.
 * @param {Uint8Array | ArrayBuffer} input
 * @returns {string}
 */
export function md5Hex(input) {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  const state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  const fullBlocks = Math.floor(bytes.byteLength / 64);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const x = new Int32Array(16);
  for (let block = 0; block < fullBlocks; block++) {
    const offset = block * 64;
    for (let j = 0; j < 16; j++) x[j] = view.getInt32(offset + 4 * j, true);
    compress(state, x);
  }
  // Padding (section 3.1-3.2): 0x80, zeros to 56 mod 64, then the bit length
  // as a 64-bit little-endian integer.
  const rest = bytes.byteLength - fullBlocks * 64;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(bytes.subarray(fullBlocks * 64));
  tail[rest] = 0x80;
  const tailView = new DataView(tail.buffer);
  const bitLength = bytes.byteLength * 8;
  tailView.setUint32(tail.length - 8, bitLength % 0x100000000, true);
  tailView.setUint32(tail.length - 4, Math.floor(bitLength / 0x100000000), true);
  for (let offset = 0; offset < tail.length; offset += 64) {
    for (let j = 0; j < 16; j++) x[j] = tailView.getInt32(offset + 4 * j, true);
    compress(state, x);
  }
  const digest = new Uint8Array(state.buffer);
  let hex = "";
  for (let i = 0; i < 16; i++) hex += digest[i].toString(16).padStart(2, "0");
  return hex;
}

/**
 * One 512-bit block (section 3.4), updating state in place.
 * @param {Int32Array} state A, B, C, D
 * @param {Int32Array} x     the block as 16 little-endian words
 */
function compress(state, x) {
  let a = state[0], b = state[1], c = state[2], d = state[3];
  // Round 1: F(b, c, d) = (b & c) | (~b & d)
  a = ff(a, b, c, d, x[0], 7, T[0]);    d = ff(d, a, b, c, x[1], 12, T[1]);
  c = ff(c, d, a, b, x[2], 17, T[2]);   b = ff(b, c, d, a, x[3], 22, T[3]);
  a = ff(a, b, c, d, x[4], 7, T[4]);    d = ff(d, a, b, c, x[5], 12, T[5]);
  c = ff(c, d, a, b, x[6], 17, T[6]);   b = ff(b, c, d, a, x[7], 22, T[7]);
  a = ff(a, b, c, d, x[8], 7, T[8]);    d = ff(d, a, b, c, x[9], 12, T[9]);
  c = ff(c, d, a, b, x[10], 17, T[10]); b = ff(b, c, d, a, x[11], 22, T[11]);
  a = ff(a, b, c, d, x[12], 7, T[12]);  d = ff(d, a, b, c, x[13], 12, T[13]);
  c = ff(c, d, a, b, x[14], 17, T[14]); b = ff(b, c, d, a, x[15], 22, T[15]);
  // Round 2: G(b, c, d) = (b & d) | (c & ~d)
  a = gg(a, b, c, d, x[1], 5, T[16]);   d = gg(d, a, b, c, x[6], 9, T[17]);
  c = gg(c, d, a, b, x[11], 14, T[18]); b = gg(b, c, d, a, x[0], 20, T[19]);
  a = gg(a, b, c, d, x[5], 5, T[20]);   d = gg(d, a, b, c, x[10], 9, T[21]);
  c = gg(c, d, a, b, x[15], 14, T[22]); b = gg(b, c, d, a, x[4], 20, T[23]);
  a = gg(a, b, c, d, x[9], 5, T[24]);   d = gg(d, a, b, c, x[14], 9, T[25]);
  c = gg(c, d, a, b, x[3], 14, T[26]);  b = gg(b, c, d, a, x[8], 20, T[27]);
  a = gg(a, b, c, d, x[13], 5, T[28]);  d = gg(d, a, b, c, x[2], 9, T[29]);
  c = gg(c, d, a, b, x[7], 14, T[30]);  b = gg(b, c, d, a, x[12], 20, T[31]);
  // Round 3: H(b, c, d) = b ^ c ^ d
  a = hh(a, b, c, d, x[5], 4, T[32]);   d = hh(d, a, b, c, x[8], 11, T[33]);
  c = hh(c, d, a, b, x[11], 16, T[34]); b = hh(b, c, d, a, x[14], 23, T[35]);
  a = hh(a, b, c, d, x[1], 4, T[36]);   d = hh(d, a, b, c, x[4], 11, T[37]);
  c = hh(c, d, a, b, x[7], 16, T[38]);  b = hh(b, c, d, a, x[10], 23, T[39]);
  a = hh(a, b, c, d, x[13], 4, T[40]);  d = hh(d, a, b, c, x[0], 11, T[41]);
  c = hh(c, d, a, b, x[3], 16, T[42]);  b = hh(b, c, d, a, x[6], 23, T[43]);
  a = hh(a, b, c, d, x[9], 4, T[44]);   d = hh(d, a, b, c, x[12], 11, T[45]);
  c = hh(c, d, a, b, x[15], 16, T[46]); b = hh(b, c, d, a, x[2], 23, T[47]);
  // Round 4: I(b, c, d) = c ^ (b | ~d)
  a = ii(a, b, c, d, x[0], 6, T[48]);   d = ii(d, a, b, c, x[7], 10, T[49]);
  c = ii(c, d, a, b, x[14], 15, T[50]); b = ii(b, c, d, a, x[5], 21, T[51]);
  a = ii(a, b, c, d, x[12], 6, T[52]);  d = ii(d, a, b, c, x[3], 10, T[53]);
  c = ii(c, d, a, b, x[10], 15, T[54]); b = ii(b, c, d, a, x[1], 21, T[55]);
  a = ii(a, b, c, d, x[8], 6, T[56]);   d = ii(d, a, b, c, x[15], 10, T[57]);
  c = ii(c, d, a, b, x[6], 15, T[58]);  b = ii(b, c, d, a, x[13], 21, T[59]);
  a = ii(a, b, c, d, x[4], 6, T[60]);   d = ii(d, a, b, c, x[11], 10, T[61]);
  c = ii(c, d, a, b, x[2], 15, T[62]);  b = ii(b, c, d, a, x[9], 21, T[63]);
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
}

/** a = b + ((a + f + x + t) <<< s), the common step of all four rounds. */
function step(f, a, b, x, s, t) {
  const sum = (a + f + x + t) | 0;
  return (b + ((sum << s) | (sum >>> (32 - s)))) | 0;
}
function ff(a, b, c, d, x, s, t) { return step((b & c) | (~b & d), a, b, x, s, t); }
function gg(a, b, c, d, x, s, t) { return step((b & d) | (c & ~d), a, b, x, s, t); }
function hh(a, b, c, d, x, s, t) { return step(b ^ c ^ d, a, b, x, s, t); }
function ii(a, b, c, d, x, s, t) { return step(c ^ (b | ~d), a, b, x, s, t); }
