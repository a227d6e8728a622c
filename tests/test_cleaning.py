"""Cleaning a folder of photos: every problem the cleaner must handle is counted in its report."""
from polychromify.training import cleaning
from polychromify.training.synthetic import synthetic_landscape


def test_report_counts_every_problem(messy_photos):
    rgb, names, hashes, report = cleaning.clean_folder(messy_photos, image_size=32)
    assert report.found == 26 and report.ignored == 1
    skipped = dict(report.skipped)
    assert set(skipped) == {"fake.jpg", "empty.png"}
    assert all(name in reason for name, reason in skipped.items())
    assert report.decoded == 24
    assert sorted(d for d, _ in report.duplicates) == ["zz_copy_of_good00.png", "zz_pixels_of_good01.png"]
    assert report.near_gray == ["gray.png"]
    assert "boxed.png" in report.cropped and report.too_small == ["mostly_black.png"]
    assert report.converted.get("CMYK") == 1 and report.converted.get("RGBA") == 1
    assert report.used == len(names) == 20 and rgb.shape == (20, 32, 32, 3)
    assert "sub/nested.jpg" in names and len(set(hashes)) == len(hashes)


def test_black_borders_are_cropped_symmetric_only():
    photo = synthetic_landscape(seed=1, size=64)
    boxed = photo.copy()
    boxed[:6], boxed[-6:] = 0, 0
    assert cleaning.black_borders(boxed) == (6, 6, 0, 0)
    inner, cropped = cleaning.crop_borders(boxed)
    assert cropped and inner.shape == (52, 64, 3)
    dark_sky = photo.copy()
    dark_sky[:10] = 0                       # one dark side is content, not padding
    assert cleaning.black_borders(dark_sky) == (0, 0, 0, 0)
