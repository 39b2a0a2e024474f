"""NLP-100 chapter 8, exercise 70: features from the sum (mean) of word vectors.

Define `featurize` below and grade it with `check submit FILE`.
Only the standard library, torch, numpy and matplotlib may be imported.
"""
import numpy as np
import torch


def featurize(titles: list[list[str]], vectors: dict[str, np.ndarray]) -> torch.Tensor:
    """Turn tokenized headlines into feature vectors.

    Args:
        titles: n headlines, each a list of tokens (str).
        vectors: maps a word to its d-dimensional float32 vector (numpy.ndarray).

    Returns:
        A float32 tensor of shape (n, d). Row i is the mean of the vectors of the
        tokens of titles[i] that are in `vectors` (a repeated token counts each
        time). A headline with no known token gives a row of zeros, not NaN.
        The arguments must not be modified.
    """
    raise NotImplementedError
