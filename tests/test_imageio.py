from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylelab.errors import ConfigError, InputError, OutputError
from stylelab.grading import Grader
from stylelab.imageio import (
    ImageLimits,
    atomic_write,
    check_output_dir,
    check_output_path,
    ensure_output_dir,
    load_image,
    resize_long_side,
    save_image,
    source_label,
    upright_size,
)

EXPECTED_MESSAGE = {
    "missing": "no such file",
    "directory": "is a directory",
    "zero_byte": "file is empty",
    "text_as_jpg": "not a supported image",
    "truncated_jpeg": "damaged or truncated",
    "svg_as_png": "not a supported image",
    "html_as_jpg": "not a supported image",
    "tiny": "at least 16 px",
    "bomb": "too large",
    "extreme_aspect": "aspect ratio",
}


def test_bad_input_raises_input_error_with_clear_message(bad_input):
    kind, path = bad_input
    with pytest.raises(InputError, match=EXPECTED_MESSAGE[kind]) as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_an_empty_path_is_named_as_such_not_as_the_current_folder():
    with pytest.raises(InputError, match="^image: the path is empty; give the path of an image file$"):
        load_image("")
    with pytest.raises(InputError, match="^content image: the path is empty"):
        load_image("", name=source_label("", "content"))
    with pytest.raises(InputError, match="^second image: the path is empty"):
        Grader().grade(np.zeros((32, 32, 3), np.uint8), "")


def test_pixel_limit_is_configurable(tmp_path):
    path = tmp_path / "big.png"
    Image.new("RGB", (200, 100)).save(path)
    assert load_image(path, ImageLimits(max_pixels=20_000)).size == (200, 100)
    with pytest.raises(InputError, match="over the limit of 19,999 px"):
        load_image(path, ImageLimits(max_pixels=19_999))


def test_a_raised_pixel_limit_is_the_only_limit_below_pillows_hard_one(tmp_path):
    from tests.conftest import _png_header_only

    path = tmp_path / "claims95mp.png"
    path.write_bytes(_png_header_only(10_000, 9_500))  # 95 MP: above Pillow's bomb warning (89 MP)
    with pytest.raises(InputError, match="over the limit of 64,000,000 px"):
        load_image(path)
    with pytest.raises(InputError, match="damaged or truncated"):  # past the size check; its pixels are fake
        load_image(path, ImageLimits(max_pixels=200_000_000))
    path.write_bytes(_png_header_only(20_000, 10_000))  # 200 MP: Pillow will not open it at all
    with pytest.raises(InputError, match="the image library opens at most 178,956,970 px"):
        load_image(path, ImageLimits(max_pixels=300_000_000))
    with pytest.raises(InputError, match="image is too large: 200,000,000 px, over the limit of 64,000,000 px"):
        load_image(path)  # the limit in force, not the library's


def test_a_truncated_file_is_said_once(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.effect_noise((64, 64), 60).convert("RGB").save(path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(InputError, match=r"cut.jpg: image file is damaged or truncated \(\d+ bytes not processed\)$"):
        load_image(path)  # was "... truncated (image file is truncated (N bytes not processed))"


@pytest.mark.parametrize("orientation, upright", [(1, (60, 30)), (3, (60, 30)), (5, (30, 60)), (7, (30, 60))])
def test_every_exif_orientation_that_turns_the_picture_swaps_its_sides(tmp_path, orientation, upright):
    """5 and 7 (mirrored and turned) swap width and height as 6 and 8 do, for the header and the pixels alike."""
    path = tmp_path / "turned.jpg"
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (60, 30), "white").save(path, "JPEG", exif=exif)
    assert upright_size(path) == upright
    assert load_image(path).size == upright


def test_the_limits_themselves_are_allowed():
    limits = ImageLimits(min_side=16, max_pixels=256 * 16, max_aspect=16.0)
    assert load_image(np.zeros((16, 256), np.uint8), limits).size == (256, 16)  # 16:1, 4096 px, 16 px high
    with pytest.raises(InputError, match="aspect ratio"):
        load_image(np.zeros((16, 257), np.uint8), ImageLimits(max_aspect=16.0))


def test_a_float_image_of_another_range_is_stretched_to_black_and_white():
    """A measurement (here 100..300) would otherwise be clipped to white all over."""
    values = np.tile(np.linspace(100.0, 300.0, 32, dtype=np.float32), (32, 1))
    gray = np.asarray(load_image(Image.fromarray(values, mode="F")))[..., 0]
    assert (gray.min(), gray.max()) == (0, 255)


def test_unusual_images_become_8bit_rgb(unusual_image):
    image = load_image(unusual_image)
    assert image.mode == "RGB"
    assert min(image.size) >= 16


def test_exif_rotation_is_honoured(tmp_path):
    from tests.conftest import UNUSUAL

    path = tmp_path / "rot.jpg"
    UNUSUAL["exif_rotated.jpg"](path)
    image = load_image(path)
    assert image.size == (30, 60)  # stored 60×30, displayed rotated
    assert upright_size(path) == (30, 60)  # the same, from the header alone
    assert upright_size(tmp_path / "missing.jpg") is None
    top, bottom = np.asarray(image)[5, 15], np.asarray(image)[55, 15]
    assert top[0] > 200 and top[1] < 60  # red half is now on top
    assert bottom.min() > 200


def test_rgba_is_composited_on_white(tmp_path):
    from tests.conftest import UNUSUAL

    path = tmp_path / "a.png"
    UNUSUAL["rgba.png"](path)
    pixels = np.asarray(load_image(path))
    assert tuple(pixels[10, 5]) == (0, 0, 255)
    assert tuple(pixels[10, 25]) == (255, 255, 255)


def test_sixteen_bit_keeps_its_range(tmp_path):
    from tests.conftest import UNUSUAL

    path = tmp_path / "g.png"
    UNUSUAL["sixteen_bit.png"](path)
    pixels = np.asarray(load_image(path))[..., 0]
    assert pixels[0, 0] == 0 and pixels[0, -1] == 255
    assert 100 < pixels[0, 24] < 160


def test_a_dark_sixteen_bit_image_stays_dark(tmp_path):
    path = tmp_path / "dark16.png"
    values = np.full((24, 32), 194, dtype=np.uint16)  # every value fits in 8 bits, but they are 16-bit
    Image.fromarray(values).save(path)
    with Image.open(path) as stored:
        assert stored.mode.startswith("I;16")
    assert np.asarray(load_image(path)).max() <= 1  # 194 / 65535 of full brightness, not 194 / 255


def test_a_32_bit_integer_image_of_8_bit_values_keeps_its_levels():
    # mode I (32-bit integers, e.g. from a TIFF) says nothing of the range: values up to 255 are 8-bit,
    # so 255 is white, not 255 / 65535 of it
    values = np.tile(np.array([0, 1, 128, 255], dtype=np.int32), (16, 4))
    image = Image.fromarray(values)
    assert image.mode == "I"
    assert np.array_equal(np.asarray(load_image(image))[..., 0], values)


def test_animated_gif_gives_first_frame(tmp_path):
    from tests.conftest import UNUSUAL

    path = tmp_path / "a.gif"
    UNUSUAL["animated.gif"](path)
    assert tuple(np.asarray(load_image(path))[0, 0]) == (255, 0, 0)


def test_cmyk_converts_to_rgb(tmp_path):
    from tests.conftest import UNUSUAL

    path = tmp_path / "c.jpg"
    UNUSUAL["cmyk.jpg"](path)
    red, green, blue = np.asarray(load_image(path))[10, 10].astype(int)
    assert red > 200 and green < 60 and blue < 60


@pytest.mark.parametrize("array", [
    np.full((20, 30), 7, np.uint8), np.full((20, 30, 3), 0.5, np.float32), np.full((20, 30, 4), 65535, np.uint16)])
def test_arrays_are_accepted(array):
    assert load_image(array).size == (30, 20)


def test_sixteen_bit_arrays_map_exactly_to_eight_bits():
    ramp = np.minimum(257 * np.arange(256) + 100, 65535).astype(np.uint16).reshape(16, 16)  # k/255, + 0.39 step
    assert np.array_equal(np.asarray(load_image(ramp))[:, :, 0], np.arange(256).reshape(16, 16))
    assert np.asarray(load_image(np.full((20, 20), 51528, np.uint16))).max() == 200  # 200.5; /256 gives 201


def test_the_smallest_allowed_side_is_allowed():
    assert load_image(np.zeros((16, 16, 3), np.uint8)).size == (16, 16)
    with pytest.raises(InputError, match="at least 16 px"):
        load_image(np.zeros((15, 16, 3), np.uint8))


def test_bad_arrays_are_rejected():
    with pytest.raises(InputError, match="shape"):
        load_image(np.zeros((20, 30, 2), np.uint8))
    with pytest.raises(InputError, match="NaN"):
        load_image(np.full((20, 30, 3), np.nan, np.float32))
    with pytest.raises(InputError, match=r"spans 0\.\.255; divide 0-255 values by 255"):
        load_image(np.linspace(0, 255, 20 * 30 * 3).reshape(20, 30, 3))  # 0-255 values as floats
    with pytest.raises(InputError, match=r"spans -0\.5\.\.1"):
        load_image(np.linspace(-0.5, 1, 20 * 30).reshape(20, 30))
    assert np.asarray(load_image(np.full((20, 30), 1.004))).max() == 255  # rounding slack is clipped


def test_big_endian_sixteen_bit_arrays_are_accepted():
    assert np.asarray(load_image(np.full((20, 30, 3), 65535, ">u2"))).min() == 255


def test_an_array_over_the_pixel_limit_is_refused_before_its_pixels_are_copied():
    huge = np.broadcast_to(np.float32(0.5), (9000, 9000, 3))  # 972 MB as float32 if it were converted
    with pytest.raises(InputError, match="over the limit"):
        load_image(huge, ImageLimits(max_pixels=1_000_000))
    with pytest.raises(InputError, match="over the limit"):  # a check after conversion fails on NaN first
        load_image(np.full((2000, 2000), np.nan, np.float32), ImageLimits(max_pixels=1_000_000))


def test_float_pil_images_in_0_to_1_read_like_float_arrays():
    grey = Image.fromarray(np.full((20, 30), 0.5, np.float32))
    assert np.asarray(load_image(grey)).max() == 128  # was stretched min..max: flat grey became black
    ramp = Image.fromarray(np.linspace(0.4, 0.6, 600, dtype=np.float32).reshape(20, 30))
    assert np.asarray(load_image(ramp))[:, :, 0].min() == 102
    measured = Image.fromarray(np.linspace(-5, 300, 600, dtype=np.float32).reshape(20, 30))
    assert np.asarray(load_image(measured))[:, :, 0].max() == 255  # another range is stretched


def test_float_images_with_nan_or_infinity_are_refused(tmp_path):
    values = np.full((20, 30), 0.5, np.float32)
    values[3, 4] = np.nan
    Image.fromarray(values).save(tmp_path / "nan.tif")
    for source in (Image.fromarray(values), tmp_path / "nan.tif"):
        with pytest.raises(InputError, match="NaN or infinite"):
            load_image(source)
    values[3, 4] = np.inf
    with pytest.raises(InputError, match="NaN or infinite"):
        load_image(Image.fromarray(values))


@pytest.mark.parametrize("mode, key, pixel", [("RGB", (0, 0, 0), (0, 0, 0)), ("L", 0, 0)])
def test_a_colour_key_transparency_is_white_like_any_transparency(tmp_path, mode, key, pixel):
    image = Image.new(mode, (30, 20), pixel)
    image.paste(Image.new(mode, (10, 20), (200, 40, 40) if mode == "RGB" else 120), (20, 0))
    image.save(tmp_path / "keyed.png", transparency=key)
    pixels = np.asarray(load_image(tmp_path / "keyed.png"))
    assert tuple(pixels[5, 5]) == (255, 255, 255)  # the keyed colour is transparent: paper white
    assert tuple(pixels[5, 25]) == ((200, 40, 40) if mode == "RGB" else (120, 120, 120))


def test_premultiplied_modes_are_read_or_refused_with_an_input_error():
    try:
        picture = load_image(Image.new("La", (30, 20)))
    except InputError as exc:
        assert "La" in str(exc)
    else:
        assert picture.mode == "RGB"


def test_save_image_refuses_sizes_a_format_cannot_hold_before_writing(tmp_path):
    with pytest.raises(OutputError, match="WEBP images can be at most 16383 px.*save it as .png"):
        save_image(Image.new("RGB", (16384, 16)), tmp_path / "wide.webp")
    assert list(tmp_path.iterdir()) == []


def test_resize_long_side_rounds_like_the_engine():
    assert resize_long_side(Image.new("RGB", (451, 300)), 64).size == (64, 43)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.png"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as temp:
            temp.write_bytes(b"partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_save_image_writes_atomically(tmp_path):
    target = save_image(Image.new("RGB", (20, 20), "red"), tmp_path / "out.png")
    with Image.open(target) as written:
        assert written.size == (20, 20)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize("make_path, message", [
    (lambda d: d / "missing" / "out.png", "does not exist"),
    (lambda d: d, "is a directory"),
    (lambda d: d / "out.gif2", "unsupported output extension"),
])
def test_output_path_is_checked_before_work(tmp_path, make_path, message):
    with pytest.raises(OutputError, match=message):
        check_output_path(make_path(tmp_path))


def test_unwritable_output_directory_is_refused(tmp_path):
    import os

    if os.geteuid() == 0:
        target = "/proc/self/out.png"  # root may write anywhere on disk, but not here
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.png"
    with pytest.raises(OutputError, match="not writable"):
        check_output_path(target)


def test_a_path_that_cannot_be_read_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read it"):
        load_image(tmp_path / ("x" * 5000 + ".jpg"))  # the system's "File name too long"
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(InputError, match="cannot read it"):
        load_image(tmp_path / "file" / "inside.jpg")


def test_limits_are_validated():
    with pytest.raises(ConfigError, match="limits: expected an ImageLimits, got int"):
        load_image(np.zeros((20, 20), np.uint8), 5)
    with pytest.raises(ConfigError, match="max_pixels: expected an integer"):
        ImageLimits(max_pixels="x")
    with pytest.raises(ConfigError, match="max_aspect: must be at least 1"):
        ImageLimits(max_aspect=0.5)


@pytest.mark.parametrize("name, message", [
    ("x" * 300 + ".png", "cannot write there"), ("x" * 236 + ".png", "the file name is too long")])
def test_an_output_name_too_long_is_refused_before_work(tmp_path, name, message):
    with pytest.raises(OutputError, match=message):
        check_output_path(tmp_path / name)
    longest = "x" * 233 + ".png"  # 237 bytes: with the temporary name's 18, the system's 255
    save_image(Image.new("RGB", (20, 20)), check_output_path(tmp_path / longest))
    assert [p.name for p in tmp_path.iterdir()] == [longest]


def test_an_output_folder_that_cannot_be_looked_at_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot use it as output directory"):
        check_output_dir(tmp_path / ("x" * 300))


def test_a_file_in_the_way_of_an_output_folder_is_named(tmp_path):
    (tmp_path / "results").write_text("a file")
    with pytest.raises(OutputError, match=r"results/run1: .*results is a file, not a folder$"):
        ensure_output_dir(tmp_path / "results" / "run1")  # was "cannot create output directory (Not a directory)"


@pytest.mark.parametrize("source", ["https://example.com/cat.jpg", Path("https://example.com/cat.jpg"),
                                    "HTTP://example.com/cat.jpg"])
def test_a_web_address_is_refused_as_one_not_as_a_missing_file(source):
    with pytest.raises(InputError, match=r"example\.com/cat\.jpg: a web address; Style Lab reads local files "
                                         r"only \(nothing is downloaded\): save the picture and give its path$"):
        load_image(source)  # was "https:/example.com/cat.jpg: no such file"


def test_an_output_folder_whose_name_cannot_be_looked_at_says_why_instead_of_a_traceback(tmp_path):
    """Looking for a file in the way stat()s each parent, which raises for what mkdir raised for (a name too
    long; a folder we may not enter): the OSError escaped as a traceback."""
    folder = tmp_path / ("x" * 300) / "out"
    with pytest.raises(OutputError, match=r"cannot create output directory \(File name too long\)$"):
        ensure_output_dir(folder)


def test_a_broken_link_in_the_way_of_an_output_folder_is_named_as_one(tmp_path):
    """A link to nothing is not a folder and does not exist: it read 'cannot create output directory (File
    exists)', the message why_no_folder was made to replace."""
    (tmp_path / "out").symlink_to(tmp_path / "gone")
    with pytest.raises(OutputError, match=r"out: is a broken link \(to .*gone\), not a folder$"):
        ensure_output_dir(tmp_path / "out")
    with pytest.raises(OutputError, match=r"out/run1: .*out is a broken link \(to .*gone\), not a folder$"):
        ensure_output_dir(tmp_path / "out" / "run1")


def test_a_missing_file_in_a_local_folder_named_like_a_web_scheme_is_said_to_be_missing(tmp_path, monkeypatch):
    """A folder named 'http:' is a local path: its missing file is no web address."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "http:").mkdir()
    with pytest.raises(InputError, match=r"http:/cat\.jpg: no such file$"):
        load_image("http:/cat.jpg")
    with pytest.raises(InputError, match="no such file$"):
        load_image("ftp:x/cat.jpg")


def test_a_jpeg_or_webp_too_large_for_its_format_is_refused_before_any_work(tmp_path):
    from stylelab.imageio import check_format_fits

    check_format_fits(tmp_path / "a.jpg", (65500, 16))  # JPEG's own limit is allowed
    check_format_fits(tmp_path / "a.webp", (16383, 16))
    with pytest.raises(OutputError, match="JPEG images can be at most 65500 px"):
        check_format_fits(tmp_path / "a.jpg", (65501, 16))
    with pytest.raises(OutputError, match="WEBP images can be at most 16383 px"):
        check_format_fits(tmp_path / "a.webp", (16, 16384))
    check_format_fits(tmp_path / "a.png", (70000, 16))


def test_outputs_get_the_usual_permissions_not_private_ones(tmp_path):
    """As open() makes them (0666 less the umask): a temporary file made with mkstemp would stay 0600."""
    import os

    umask = os.umask(0o022)
    try:
        saved = save_image(Image.new("RGB", (16, 16)), tmp_path / "out.png")
    finally:
        os.umask(umask)
    assert saved.stat().st_mode & 0o777 == 0o644
