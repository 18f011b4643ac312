import pytest

from tests.backbones import checkpoints


@pytest.fixture(scope="session")
def vgg16_checkpoint(tmp_path_factory):
    return checkpoints.save(checkpoints.vgg16_state(), tmp_path_factory.mktemp("vgg16") / "vgg16.pth")


@pytest.fixture(scope="session")
def resnet50_checkpoint(tmp_path_factory):
    return checkpoints.save(
        checkpoints.resnet50_state(), tmp_path_factory.mktemp("resnet50") / "resnet50.pth"
    )
