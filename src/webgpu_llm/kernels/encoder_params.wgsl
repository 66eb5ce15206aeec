// The sizes of one encoder batch, written once per batch into one uniform buffer
// that the encoder's own kernels read. Mirrors kernels/encoder_params.py.
// Row r of the activations is token r % seq_len of input r / seq_len; inputs
// shorter than seq_len are padded, and `lengths` (one u32 per input) says how far.
struct EncoderParams {
    rows: u32,     // batch * seq_len
    seq_len: u32,  // the longest input of the batch, [CLS] and [SEP] included
    batch: u32,    // inputs in this batch
    _pad: u32,
}
