"""The run folder's JSON files: written and read back as they were, a missing timeline named, a file that is not
JSON read as absent (what needs it says what is missing)."""
import pytest

from runfolder import files, names


@pytest.mark.parametrize("file", [files.TIMELINE, files.CLIENT_STATS, files.ENDED, files.PROMETHEUS_ANSWERS,
                                  files.MANIFEST, files.MACHINE], ids=lambda f: f.name)
def test_each_file_reads_back_what_was_written_under_its_one_name(tmp_path, file):
    doc = {"stages": [{"name": "s1", "end": 12.5}], "wall_start": 1000.0}
    assert file.write(tmp_path, doc) == tmp_path / file.name
    assert file.exists(tmp_path) and file.read(tmp_path) == doc
    assert file.name in vars(names).values()


def test_a_folder_without_its_timeline_is_named_in_the_error(tmp_path):
    with pytest.raises(files.TimelineError, match=f"{tmp_path}/{names.STAGES}: no stage timeline"):
        files.TIMELINE.read(tmp_path)


def test_a_file_that_is_not_json_is_read_as_absent(tmp_path):
    (tmp_path / names.MANIFEST).write_text("{cut short")
    assert files.MANIFEST.read(tmp_path) is None and files.ENDED.read(tmp_path) is None


def test_only_the_manifest_writes_what_json_cannot_hold_as_text(tmp_path):
    files.MANIFEST.write(tmp_path, {"slo_file": tmp_path})
    assert files.MANIFEST.read(tmp_path) == {"slo_file": str(tmp_path)}
    with pytest.raises(TypeError):
        files.TIMELINE.write(tmp_path, {"wall_start": tmp_path})
