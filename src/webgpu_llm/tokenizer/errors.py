"""The one error type the tokenizer package raises."""


class TokenizerError(ValueError):
    """A tokenizer file uses something unsupported, or an input cannot be handled.

    The message names the offending feature and what is supported instead.
    """
