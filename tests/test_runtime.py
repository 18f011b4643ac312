import platform
import sys

import torch

from stylelab.runtime import reuse_freed_memory


def test_reuse_freed_memory_is_scoped_and_harmless():
    with reuse_freed_memory() as active:
        data = torch.ones(64, 2**18)  # 64 MB: above glibc's usual mmap threshold
        del data
    assert isinstance(active, bool)
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc":
        assert active is True  # the tuning is on where it can be (a broken lookup would be silent)
    with reuse_freed_memory(enabled=False) as active:
        assert active is False
    assert torch.ones(4).sum().item() == 4  # allocation still works after the thresholds are restored
